"""A host toolchain the lab cannot use is refused in words before anything is created:
Python (lab/__init__.py), Vagrant against the lab and against VirtualBox, libvirt without
its plugin (lab/toolchain.py, which the Vagrantfile runs: tests/test_vagrantfile.py)."""

import subprocess
import sys

import pytest

from lab.settings import REPO
from lab.toolchain import refusals


def test_ubuntu_22_04s_python_3_10_is_refused_with_what_to_install():
    shown = subprocess.run(
        [sys.executable, "-c", "import sys; sys.version_info = (3, 10, 12, 'final', 0); "
         "sys.version = '3.10.12 (main)'; import lab"],
        cwd=REPO, capture_output=True, text=True, check=False)
    assert shown.returncode == 1
    assert shown.stderr.startswith("The lab needs Python 3.11 or newer; ")
    assert "is 3.10.12. On Ubuntu 22.04: `sudo apt install python3.11 python3.11-venv`" \
        in shown.stderr


@pytest.mark.parametrize("vagrant, virtualbox, refused", [
    ("2.3.4", "7.0.20r163906", None),                 # Debian 12's Vagrant
    ("2.3.4", "7.1.4r165100", "VirtualBox 7.1 needs Vagrant 2.4.2 or newer"),
    ("2.4.1", "7.1.4r165100", "VirtualBox 7.1 needs Vagrant 2.4.2 or newer"),
    ("2.4.2", "7.1.4r165100", None),
    ("2.4.3", "7.2.0r168464", "VirtualBox 7.2 needs Vagrant 2.4.9 or newer"),
    ("2.4.9", "7.2.0r168464", None),
    ("2.3.4", "6.1.50r161033", "VirtualBox 6.1.50r161033 is older than the lab's 7.0"),
    ("2.2.19", "7.0.20", "The lab needs Vagrant 2.3.0 or newer; this is Vagrant 2.2.19"),
])
def test_vagrant_and_virtualbox_go_in_the_pairs_vagrant_supports(vagrant, virtualbox, refused):
    found = refusals("virtualbox", vagrant, virtualbox)
    assert (found[0].startswith(refused) if refused else found == []), found


def test_libvirt_without_vagrant_libvirt_says_how_to_install_it():
    assert refusals("libvirt", "2.3.4", libvirt_plugin=True) == []
    [problem] = refusals("libvirt", "2.3.4", libvirt_plugin=False)
    assert "`vagrant plugin install vagrant-libvirt`" in problem
