"""The CentOS Stream 9 path, checked without CentOS: facts in, commands out.

No CentOS mirror nor Docker's repository is reachable from CI, so this is what
proves that path: the facts' parsers read recorded outputs (tests/recorded/),
and the pure functions and operations of provision/platform.py turn them into
the commands a student would type — on a fresh box, and nothing on a second run.
"""

import dataclasses
import doctest
from pathlib import Path

import pytest

from lab.settings import load
from provision import platform
from provision.platform import (
    PLATFORMS,
    FcontextEquivalences,
    FirewalldPorts,
    HeldPackages,
    MislabeledFiles,
    SELinuxMode,
    VersionLocks,
    apt_hold_command,
    dnf_install_commands,
    equivalence_commands,
    open_port_commands,
    relabel_command,
    versionlock_commands,
)

from .fake_host import FakeHost, run

RECORDED = Path(__file__).parent / "recorded"
CENTOS = PLATFORMS["centos-stream-9"]
DEBIAN = PLATFORMS["debian-12"]
# What the deploy asks restorecon about (provision/deploy.py).
LAB_PATHS = ["/etc/docker", "/etc/systemd/system/docker-tcp.service", "/etc/sysctl.d",
             "/etc/lvm/profile/docker-thinpool.profile", "/usr/local/bin/docker-compose",
             "/srv/tp15/compose", "/srv/tp15/nginx"]
# RpmPackages of a fresh CentOS Stream 9 box (the part that matters here).
FRESH_BOX = {"curl-minimal": {"7.76.1-31.el9"}, "lvm2": {"2.03.24-2.el9"},
             "policycoreutils": {"3.6-2.1.el9"}}


@pytest.fixture
def settings():
    return load(environ={})


def recorded(fact_class, name: str, *args):
    """What ``fact_class`` gives for the recorded output ``name``, as pyinfra reads it:
    the parser for output, the default for none."""
    lines = (RECORDED / name).read_text(encoding="utf-8").splitlines()
    fact = fact_class()
    return fact.process(lines) if lines else fact.default()


def test_the_module_examples_are_true(settings):
    offline = dataclasses.replace(settings, distribution="debian-12", engine="distribution")
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    tests = [test for test in finder.find(platform, globs={**vars(platform),
                                                           "settings": settings,
                                                           "offline": offline})
             if test.examples]
    assert {test.name for test in tests} >= {
        "provision.platform", "provision.platform.versionlock_commands",
        "provision.platform.open_port_commands", "provision.platform.equivalence_commands"}
    for test in tests:
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


# --- The EL9 package plan: containerd pinned, the engine held -------------------------


def test_a_fresh_box_installs_the_pinned_engine_with_containerd_1_6(settings):
    assert dnf_install_commands(CENTOS.runc_packages(settings), FRESH_BOX) == [
        "dnf install -y containerd.io-1.6.28-3.1.el9"]
    assert dnf_install_commands(CENTOS.docker_packages(settings), FRESH_BOX) == [
        "dnf install -y docker-ce-24.0.9-1.el9 docker-ce-cli-24.0.9-1.el9 "
        "containerd.io-1.6.28-3.1.el9 docker-buildx-plugin-0.12.1-1.el9 "
        "docker-compose-plugin-2.27.0-1.el9"]


def test_every_pinned_package_is_held_and_nothing_else(settings):
    assert CENTOS.held_packages(settings) == [
        "docker-ce=24.0.9-1.el9", "docker-ce-cli=24.0.9-1.el9", "containerd.io=1.6.28-3.1.el9",
        "docker-buildx-plugin=0.12.1-1.el9", "docker-compose-plugin=2.27.0-1.el9"]
    assert CENTOS.hold_packages == ("python3-dnf-plugin-versionlock",)
    assert "apparmor" not in str(DEBIAN.held_packages(settings))
    offline = dataclasses.replace(settings, engine="distribution")
    assert DEBIAN.held_packages(offline) == []


def test_versionlock_list_is_read_as_name_and_version():
    assert recorded(VersionLocks, "dnf-versionlock-list.plugin-just-installed.txt") == {}
    assert recorded(VersionLocks, "dnf-versionlock-list.held.txt") == {
        "docker-ce": {"24.0.9-1.el9"}, "docker-ce-cli": {"24.0.9-1.el9"},
        "containerd.io": {"1.6.28-3.1.el9"}, "docker-buildx-plugin": {"0.12.1-1.el9"},
        "docker-compose-plugin": {"2.27.0-1.el9"}}
    older = recorded(VersionLocks, "dnf-versionlock-list.older-pin.txt")
    # the exclusion !docker-ce-3:25.0.0 is not a lock
    assert older["docker-ce"] == {"24.0.7-1.el9"}
    assert older["kernel"] == {"5.14.0-570.el9"}


def test_the_engine_is_locked_on_the_first_run_and_left_alone_on_the_second(settings):
    held = CENTOS.held_packages(settings)
    first = recorded(VersionLocks, "dnf-versionlock-list.plugin-just-installed.txt")
    assert versionlock_commands(held, first) == [
        "dnf versionlock add docker-ce-24.0.9-1.el9 docker-ce-cli-24.0.9-1.el9 "
        "containerd.io-1.6.28-3.1.el9 docker-buildx-plugin-0.12.1-1.el9 "
        "docker-compose-plugin-2.27.0-1.el9"]
    assert versionlock_commands(held, recorded(VersionLocks, "dnf-versionlock-list.held.txt")) == []


def test_a_new_pin_replaces_the_locks_of_the_old_one(settings):
    older = recorded(VersionLocks, "dnf-versionlock-list.older-pin.txt")
    assert versionlock_commands(CENTOS.held_packages(settings), older) == [
        "dnf versionlock delete docker-ce docker-ce-cli containerd.io",
        "dnf versionlock add docker-ce-24.0.9-1.el9 docker-ce-cli-24.0.9-1.el9 "
        "containerd.io-1.6.28-3.1.el9"]


def test_without_the_plugin_the_fact_is_not_read_before_the_plugin_is_installed():
    # pyinfra asks check_preconditions first; at prepare time a reason means default().
    class Host:
        def get_fact(self, fact_class):
            return FRESH_BOX

    assert "is not installed" in VersionLocks().check_preconditions(None, Host())
    assert VersionLocks().default() == {}


def test_the_versionlock_operation_says_why_it_does_nothing(settings):
    held = CENTOS.held_packages(settings)
    fake = FakeHost({VersionLocks: recorded(VersionLocks, "dnf-versionlock-list.held.txt")})
    assert run(platform.versionlock, fake, packages=held) == []
    assert fake.noops == [f"{', '.join(held)} held at their versions"]


def test_debian_docker_ce_holds_with_apt_mark(settings):
    held = DEBIAN.held_packages(settings)
    assert apt_hold_command(held, []) == (
        "apt-mark hold docker-ce docker-ce-cli containerd.io docker-buildx-plugin "
        "docker-compose-plugin")
    showhold = HeldPackages().process(["containerd.io", "docker-buildx-plugin", "docker-ce",
                                       "docker-ce-cli", "docker-compose-plugin"])
    assert apt_hold_command(held, showhold) is None
    assert apt_hold_command(held, ["docker-ce"]) == (
        "apt-mark hold docker-ce-cli containerd.io docker-buildx-plugin docker-compose-plugin")
    fake = FakeHost({HeldPackages: showhold})
    assert run(platform.apt_hold, fake, packages=held) == []


# --- curl against the boxes' curl-minimal ---------------------------------------------


def test_curl_replaces_curl_minimal_with_dnf_swap():
    assert dnf_install_commands(["curl"], FRESH_BOX) == ["dnf swap -y curl-minimal curl"]
    assert dnf_install_commands(["curl"], {"curl": {"7.76.1-31.el9"}}) == []
    assert dnf_install_commands(["curl"], {}) == ["dnf install -y curl"]
    # only the package that conflicts is swapped
    assert dnf_install_commands(["curl", "jq"], FRESH_BOX) == [
        "dnf swap -y curl-minimal curl", "dnf install -y jq"]


# --- SELinux: /data labelled like /var/lib/docker, and the lab's files ----------------


def test_semanage_output_is_read_as_equivalences():
    assert recorded(FcontextEquivalences, "semanage-fcontext-l-C.fresh-box.txt") == {}
    assert recorded(FcontextEquivalences, "semanage-fcontext-l-C.provisioned.txt") == {
        "/data": "/var/lib/docker"}
    # fcontext rules (with their trailing space) are not equivalences
    assert recorded(FcontextEquivalences, "semanage-fcontext-l-C.other-rules.txt") == {
        "/data": "/srv"}


def test_data_is_labelled_like_var_lib_docker_once():
    fresh = recorded(FcontextEquivalences, "semanage-fcontext-l-C.fresh-box.txt")
    done = recorded(FcontextEquivalences, "semanage-fcontext-l-C.provisioned.txt")
    other = recorded(FcontextEquivalences, "semanage-fcontext-l-C.other-rules.txt")
    assert equivalence_commands("/data", "/var/lib/docker", fresh) == [
        "semanage fcontext -a -e /var/lib/docker /data", "restorecon -R /data"]
    assert equivalence_commands("/data", "/var/lib/docker", done) == []
    # another equivalence for /data: `-a` would fail ("already exists"), `-m` replaces it
    assert equivalence_commands("/data", "/var/lib/docker", other)[0] == (
        "semanage fcontext -m -e /var/lib/docker /data")


def test_with_selinux_disabled_nothing_is_labelled_and_semanage_not_asked():
    fake = FakeHost({SELinuxMode: recorded(SELinuxMode, "getenforce.selinux-disabled.txt")})
    assert run(platform.fcontext_equivalence, fake, path="/data",
               source="/var/lib/docker") == []
    assert fake.read == [SELinuxMode] and fake.noops == ["SELinux is disabled"]
    assert run(platform.restorecon, fake, paths=LAB_PATHS) == []


def test_the_equivalence_operation_on_a_fresh_enforcing_box():
    fake = FakeHost({
        SELinuxMode: recorded(SELinuxMode, "getenforce.centos-box.txt"),
        FcontextEquivalences: recorded(FcontextEquivalences,
                                       "semanage-fcontext-l-C.fresh-box.txt"),
    })
    assert run(platform.fcontext_equivalence, fake, path="/data",
               source="/var/lib/docker") == [
        "semanage fcontext -a -e /var/lib/docker /data", "restorecon -R /data"]


def test_restorecon_dry_run_is_read_as_the_files_to_relabel():
    first = recorded(MislabeledFiles, "restorecon-R-n-v-i.first-run.txt")
    assert "/etc/docker/daemon.json" in first and len(first) == 9
    assert recorded(MislabeledFiles, "restorecon-R-n-v-i.second-run.txt") == []
    assert MislabeledFiles().command(["/etc/docker", "/srv/tp15"]) == (
        "restorecon -R -n -v -i /etc/docker /srv/tp15")


def test_the_lab_files_are_relabelled_on_the_first_run_only():
    enforcing = recorded(SELinuxMode, "getenforce.centos-box.txt")
    first = FakeHost({SELinuxMode: enforcing, MislabeledFiles: recorded(
        MislabeledFiles, "restorecon-R-n-v-i.first-run.txt")})
    assert run(platform.restorecon, first, paths=LAB_PATHS) == [
        "restorecon -R -v -i " + " ".join(LAB_PATHS)]
    second = FakeHost({SELinuxMode: enforcing, MislabeledFiles: recorded(
        MislabeledFiles, "restorecon-R-n-v-i.second-run.txt")})
    assert run(platform.restorecon, second, paths=LAB_PATHS) == []
    assert second.noops and relabel_command(LAB_PATHS, []) is None


def test_debian_has_no_selinux_and_no_firewalld():
    assert DEBIAN.selinux is False and DEBIAN.firewalld is False
    assert CENTOS.selinux and CENTOS.firewalld
    assert CENTOS.selinux_packages == ("policycoreutils-python-utils",)


# --- firewalld: every port the TP reaches from outside --------------------------------


def firewalld(name: str, active: bool = True) -> dict:
    lines = (RECORDED / name).read_text(encoding="utf-8").splitlines()
    return FirewalldPorts().process(["active" if active else "inactive", *lines])


def test_list_ports_is_read_with_the_state_of_firewalld():
    assert firewalld("firewall-cmd-list-ports.fresh-box.txt") == {"active": True, "ports": []}
    assert firewalld("firewall-cmd-list-ports.provisioned.txt")["ports"] == [
        "2376/tcp", "8080/tcp", "80/tcp"]
    assert FirewalldPorts().process(["inactive"]) == {"active": False, "ports": []}


def test_the_fact_does_not_swallow_firewall_cmd_errors():
    command = FirewalldPorts().command()
    assert "||" not in command and "true" not in command
    assert "systemctl is-active firewalld" in command and "firewall-cmd --list-ports" in command


@pytest.mark.parametrize("port", [2376, 8080, 80])
def test_each_port_is_opened_on_a_fresh_box_and_left_alone_once_open(port):
    assert open_port_commands(port, firewalld("firewall-cmd-list-ports.fresh-box.txt")) == [
        f"firewall-cmd --permanent --add-port={port}/tcp", "firewall-cmd --reload"]
    assert open_port_commands(port, firewalld("firewall-cmd-list-ports.provisioned.txt")) == []


def test_ports_open_in_a_range_or_on_udp_only():
    ranges = firewalld("firewall-cmd-list-ports.student-ranges.txt")
    assert open_port_commands(8080, ranges) == []
    assert open_port_commands(5353, ranges)[0] == "firewall-cmd --permanent --add-port=5353/tcp"
    assert open_port_commands(2376, firewalld("firewall-cmd-list-ports.after-dcfg6.txt")) == []
    assert open_port_commands(8080, firewalld("firewall-cmd-list-ports.after-dcfg6.txt"))


def test_no_firewalld_running_means_nothing_to_open():
    fake = FakeHost({FirewalldPorts: FirewalldPorts().process(["inactive"])})
    assert run(platform.firewalld_port, fake, port=8080) == []
    assert fake.noops == ["firewalld is not running"]


def test_the_lab_opens_the_ports_lab_yml_publishes(settings):
    ports = {settings.daemon.tcp_port, settings.ports["nginx"], settings.ports["front"]}
    assert ports == {2376, 8080, 80}
    provisioned = firewalld("firewall-cmd-list-ports.provisioned.txt")
    assert all(open_port_commands(port, provisioned) == [] for port in ports)
