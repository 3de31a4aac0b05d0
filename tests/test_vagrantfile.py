"""The Vagrantfile picks the provider lab.yml names (LAB_PROVIDER), refuses a host
toolchain the lab cannot use (lab/toolchain.py) and VirtualBox without the disk feature
its extra disks need, and passes the provision trigger every path whole from a folder
whose name has a space. Runs the real Vagrantfile with the host's vagrant (read-only
commands; VirtualBox, absent here, stands in as a VBoxManage that gives its version);
skipped where vagrant is not installed (`bash .ci/host-setup` installs it)."""

import os
import shlex
import shutil
import subprocess
import sys

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


@pytest.fixture
def spaced_copy(tmp_path):
    """The project copied into a folder whose name has a space ("a b/lab"), with a
    stand-in for its virtualenv's python3 that writes the arguments of
    ``provision/run.py`` to ``run-argv`` (one per line) and hands everything else (the
    settings' loader, the toolchain's check) to the real interpreter."""
    copy = tmp_path / "a b" / "lab"
    shutil.copytree(REPO, copy, ignore=shutil.ignore_patterns(
        ".vagrant", ".git", ".venv", "reports", ".build", "wheels"), symlinks=True)
    python = copy / ".venv" / "bin" / "python3"
    python.parent.mkdir(parents=True)
    python.write_text(f"""#!/bin/sh
case "$1" in
  */provision/run.py) printf '%s\\n' "$@" > {shlex.quote(str(copy / "run-argv"))}; exit 0 ;;
esac
exec {shlex.quote(sys.executable)} "$@"
""")
    python.chmod(0o755)
    return copy


def spaced_env(tmp_path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("LAB_", "VAGRANT_"))}
    env.update(LAB_DISTRIBUTION="debian-12", LAB_BOX="tp15/debian-12", LAB_PROVIDER="libvirt",
               VAGRANT_DOTFILE_PATH=str(tmp_path / "dot"))
    return env


def test_the_lab_loads_from_a_folder_whose_name_has_a_space(spaced_copy, tmp_path):
    # Vagrant reads the Vagrantfile, which runs the settings' loader and the toolchain's
    # check from there.
    shown = subprocess.run(["vagrant", "validate", "--ignore-provider"], cwd=spaced_copy,
                           env=spaced_env(tmp_path), capture_output=True, text=True,
                           timeout=120, check=False)
    assert shown.returncode == 0, shown.stdout + shown.stderr


# Fires node1's "after provision" command triggers as `vagrant provision node1` does,
# through Vagrant's own Trigger class: it splits the inline command as a shell would
# (Shellwords) and runs it.
FIRE_TRIGGERS = """
require "vagrant"
env = Vagrant::Environment.new(cwd: ARGV[0])
machine = env.machine(:node1, env.default_provider)
trigger = Vagrant::Plugin::V2::Trigger.new(env, machine.config.trigger, machine, env.ui)
trigger.send(:execute, trigger.find(:provision, :after, "node1", :action).select(&:run))
"""


def ruby_with_vagrant() -> str | None:
    """A Ruby that can load Vagrant's library: the installer's own, or the system's
    (Debian's vagrant package)."""
    for ruby in ("/opt/vagrant/embedded/bin/ruby", shutil.which("ruby")):
        if ruby and os.path.exists(ruby) and subprocess.run(
                [ruby, "-e", 'require "vagrant"'], capture_output=True, timeout=60,
                check=False).returncode == 0:
            return ruby
    return None


def test_the_provision_trigger_runs_from_a_folder_whose_name_has_a_space(spaced_copy,
                                                                         tmp_path):
    ruby = ruby_with_vagrant()
    if ruby is None:
        pytest.skip("no Ruby here loads Vagrant's library (require \"vagrant\")")
    fired = subprocess.run([ruby, "-e", FIRE_TRIGGERS, str(spaced_copy)],
                           env=spaced_env(tmp_path), capture_output=True, text=True,
                           timeout=120, check=False)
    assert fired.returncode == 0, fired.stdout + fired.stderr
    assert (spaced_copy / "run-argv").read_text().splitlines() == [
        str(spaced_copy / "provision" / "run.py"), "node1"]
