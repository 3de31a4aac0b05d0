"""The Vagrantfile picks the provider lab.yml names (LAB_PROVIDER), refuses a host
toolchain the lab cannot use (lab/toolchain.py) and VirtualBox without the disk feature
its extra disks need. Runs the real Vagrantfile with the host's vagrant (read-only
commands; VirtualBox, absent here, stands in as a VBoxManage that gives its version);
skipped where vagrant is not installed (`bash .ci/host-setup` installs it)."""

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


@pytest.fixture
def virtualbox(tmp_path, monkeypatch):
    """A VBoxManage on PATH that says it is VirtualBox ``release``."""
    def install(release: str) -> None:
        tool = tmp_path / "bin" / "VBoxManage"
        tool.parent.mkdir(exist_ok=True)
        tool.write_text(f"#!/bin/sh\necho {release}\n")
        tool.chmod(0o755)
        monkeypatch.setenv("PATH", f"{tool.parent}:{os.environ['PATH']}")
    return install


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


def test_virtualbox_is_chosen_when_lab_yml_says_virtualbox(virtualbox):
    virtualbox("7.0.20r163906")
    shown = vagrant("status", "node1", "--machine-readable", LAB_PROVIDER="virtualbox",
                    VAGRANT_EXPERIMENTAL="disks")
    said = shown.stdout + shown.stderr
    # Without VirtualBox on this host, Vagrant says so only because it chose VirtualBox.
    assert (",provider-name,virtualbox" in said
            or "The provider 'virtualbox' that was requested to back the machine" in said), said
    assert ",provider-name,libvirt" not in said


def test_virtualbox_without_the_disk_feature_stops_before_anything_starts(virtualbox):
    virtualbox("7.0.20r163906")
    shown = vagrant("status", LAB_PROVIDER="virtualbox")
    assert shown.returncode != 0
    assert "export VAGRANT_EXPERIMENTAL=disks" in shown.stderr + shown.stdout
    assert "Nothing was started" in shown.stderr + shown.stdout


def test_virtualbox_disks_are_vagrant_disks_of_whole_gib(virtualbox):
    virtualbox("7.0.20r163906")
    shown = vagrant("validate", "--ignore-provider", LAB_PROVIDER="virtualbox",
                    VAGRANT_EXPERIMENTAL="disks")
    assert shown.returncode == 0, shown.stdout + shown.stderr


def test_a_virtualbox_newer_than_this_vagrant_supports_is_refused_before_anything(virtualbox):
    virtualbox("7.1.4r165100")  # Debian 12's Vagrant is 2.3.4: VirtualBox 7.1 needs 2.4.2
    shown = vagrant("status", LAB_PROVIDER="virtualbox", VAGRANT_EXPERIMENTAL="disks")
    said = shown.stdout + shown.stderr
    assert shown.returncode != 0
    assert "VirtualBox 7.1 needs Vagrant 2.4.2 or newer; this is Vagrant 2.3.4." in said
    assert "Nothing was started" in said


def test_virtualbox_missing_is_named_before_anything():
    shown = vagrant("status", LAB_PROVIDER="virtualbox", VAGRANT_EXPERIMENTAL="disks",
                    PATH="/usr/bin:/bin")
    assert "VBoxManage was not found: install VirtualBox 7.0 or newer" in shown.stderr


def test_the_lab_loads_from_a_folder_whose_name_has_a_space(tmp_path):
    # The project copied into "a b/": Vagrant reads the Vagrantfile, which runs the
    # settings' loader and the toolchain's check from there.
    copy = tmp_path / "a b" / "lab"
    shutil.copytree(REPO, copy, ignore=shutil.ignore_patterns(".vagrant", ".git", "reports",
                                                              ".build", "wheels"),
                    symlinks=True)
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("LAB_", "VAGRANT_"))}
    env.update(LAB_DISTRIBUTION="debian-12", LAB_BOX="tp15/debian-12", LAB_PROVIDER="libvirt",
               VAGRANT_DOTFILE_PATH=str(tmp_path / "dot"))
    shown = subprocess.run(["vagrant", "validate", "--ignore-provider"], cwd=copy, env=env,
                           capture_output=True, text=True, timeout=120, check=False)
    assert shown.returncode == 0, shown.stdout + shown.stderr
