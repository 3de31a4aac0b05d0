"""The Vagrantfile picks the provider lab.yml names (LAB_PROVIDER), and refuses
VirtualBox without the disk feature its extra disks need. Runs the real
Vagrantfile with the host's vagrant (read-only commands); skipped where vagrant
is not installed (`bash .ci/host-setup` installs it)."""

import os
import shutil
import subprocess

import pytest

from lab.settings import REPO

pytestmark = pytest.mark.skipif(shutil.which("vagrant") is None,
                                reason="vagrant is not installed (bash .ci/host-setup)")


@pytest.fixture(autouse=True)
def dotfiles(tmp_path, monkeypatch):
    """Vagrant's machine state in a folder of the test's own: a lab running from this
    checkout keeps its provider whatever lab.yml says now."""
    monkeypatch.setenv("TEST_VAGRANT_DOTFILE_PATH", str(tmp_path / ".vagrant"))


def vagrant(*args: str, **environ: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("LAB_", "VAGRANT_"))}
    env.update(environ, LAB_DISTRIBUTION="debian-12", LAB_BOX="tp15/debian-12",
               VAGRANT_DOTFILE_PATH=os.environ["TEST_VAGRANT_DOTFILE_PATH"])
    return subprocess.run(["vagrant", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def test_libvirt_is_chosen_when_lab_yml_says_libvirt():
    shown = vagrant("status", "node1", "--machine-readable", LAB_PROVIDER="libvirt")
    assert ",provider-name,libvirt" in shown.stdout, shown.stdout + shown.stderr


def test_virtualbox_is_chosen_when_lab_yml_says_virtualbox():
    shown = vagrant("status", "node1", "--machine-readable", LAB_PROVIDER="virtualbox",
                    VAGRANT_EXPERIMENTAL="disks")
    said = shown.stdout + shown.stderr
    # Without VirtualBox on this host, Vagrant says so only because it chose VirtualBox.
    assert (",provider-name,virtualbox" in said
            or "The provider 'virtualbox' that was requested to back the machine" in said), said
    assert ",provider-name,libvirt" not in said


def test_virtualbox_without_the_disk_feature_stops_before_anything_starts():
    shown = vagrant("status", LAB_PROVIDER="virtualbox")
    assert shown.returncode != 0
    assert "export VAGRANT_EXPERIMENTAL=disks" in shown.stderr + shown.stdout
    assert "Nothing was started" in shown.stderr + shown.stdout


def test_virtualbox_disks_are_vagrant_disks_of_whole_gib():
    shown = vagrant("validate", "--ignore-provider", LAB_PROVIDER="virtualbox",
                    VAGRANT_EXPERIMENTAL="disks")
    assert shown.returncode == 0, shown.stdout + shown.stderr
