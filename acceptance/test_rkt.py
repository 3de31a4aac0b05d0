"""TP section "Low level containerization — 2. avec rkt" (RKT-*).

The image rkt runs is Docker Hub's alpine (the TP's ``docker://alpine``), or, on a lab
with ``images: offline``, the lab's alpine from the node's registry (lab.yml
``rkt.registry``); the report notes which.
"""

import pytest

from lab.settings import MAIN_NODE
from provision import artifacts, rkt
from provision.platform import PLATFORMS

pytestmark = pytest.mark.nodes(MAIN_NODE)

CHECK_UNIT = "tp15-check-rkt"


@pytest.fixture(scope="module")
def rkt_installed(host, settings):
    """Fails, saying what to do, when ``rkt`` does not answer."""
    version = host.run("rkt version")
    if version.rc != 0:
        pytest.fail(
            f"`rkt version` failed ({version.stderr.strip() or 'rkt not found'}). Install rkt "
            "1.29.0's release package: `rpm -ivh rkt-1.29.0-1.x86_64.rpm` (EL) or `apt install "
            "./rkt_1.29.0-1_amd64.deb` (Debian), from github.com/rkt/rkt/releases."
            + _why_the_lab_has_none(settings))
    return version.stdout


def _why_the_lab_has_none(settings) -> str:
    """On a lab that found no package to install, provisioning's reason."""
    source = artifacts.rkt_package_source(PLATFORMS[settings.distribution], settings)
    return f" This lab had none to install: {source.where}." if source.kind == "none" else ""


@pytest.fixture(scope="module")
def reference(settings):
    return rkt.image_reference(settings), rkt.insecure_options(settings)


@pytest.mark.req("RKT-1")
def test_rkt_1_29_0_is_installed_from_its_package(host, rkt_installed):
    assert "rkt Version: 1.29.0" in rkt_installed, (
        f"`rkt version` does not say 1.29.0:\n{rkt_installed}\nInstall rkt 1.29.0's release "
        "package, the one the TP names.")
    package = host.package("rkt")
    assert package.is_installed and package.version.startswith("1.29.0"), (
        "rkt answers but no rkt 1.29.0 package is installed (`rpm -q rkt` / `dpkg -s rkt`): "
        "install the release package with rpm or dpkg, not a copied binary.")


@pytest.mark.req("RKT-1")
def test_no_rkt_daemon_runs(host, rkt_installed):
    daemons = host.run("pgrep -a -f 'rkt (api-service|metadata-service)'").stdout.strip()
    assert not daemons, (
        f"rkt has no daemon to run, yet these run: {daemons}. Stop them "
        "(`systemctl disable --now rkt-api rkt-metadata`).")


@pytest.mark.req("RKT-2")
def test_rkt_list_answers(host, rkt_installed):
    listed = host.run("rkt list")
    assert listed.rc == 0, (
        f"`rkt list` failed: {listed.stderr.strip()}. Run it as root; the package's "
        "set-up of /var/lib/rkt (group rkt) must have run: reinstall the package.")


@pytest.mark.req("RKT-3")
def test_rkt_runs_alpine_to_completion(host, rkt_installed, reference, record_property):
    image, insecure = reference
    record_property("note", f"rkt ran {image}")
    command = f"rkt --insecure-options={insecure} run {image} --exec /bin/true"
    ran = host.run(command)
    host.run("rkt gc --grace-period=0s")
    assert ran.rc == 0, (
        f"`{command}` exited {ran.rc}: {(ran.stderr.strip() or ran.stdout.strip())[-400:]}. "
        "rkt's stage1 needs cgroup v1 (RKT-5) and, for docker:// images, "
        "--insecure-options=image.")


def _running_pods(host) -> set[str]:
    """The UUIDs of the pods `rkt list` shows running."""
    listed = host.run("rkt list --no-legend --full").stdout.splitlines()
    return {fields[0] for fields in map(str.split, listed) if "running" in fields}


@pytest.mark.req("RKT-4")
def test_a_pod_under_systemd_run_is_an_active_unit_in_rkt_list(host, rkt_installed, reference,
                                                               record_property):
    """The check's own pod: started under systemd-run, seen running, stopped, collected."""
    image, insecure = reference
    record_property("note", f"systemd-run rkt ran {image}")
    host.run(f"systemctl stop {CHECK_UNIT}; systemctl reset-failed {CHECK_UNIT}")
    before = _running_pods(host)
    started = host.run(f"systemd-run --unit={CHECK_UNIT} rkt --insecure-options={insecure} "
                       f"run {image} --exec /bin/sleep -- 9999")
    try:
        assert started.rc == 0, f"systemd-run failed: {started.stderr.strip()}"
        new = set()
        for _ in range(60):  # stage1 boots the pod in seconds, a minute under emulation
            new = _running_pods(host) - before
            if new or host.run(f"systemctl is-active --quiet {CHECK_UNIT}").rc:
                break
            host.run("sleep 2")
        state = host.run(f"systemctl show --property=ActiveState --value {CHECK_UNIT}")
        journal = host.run(f"journalctl -u {CHECK_UNIT} --no-pager -n 5").stdout
        assert state.stdout.strip() == "active", (
            f"The transient unit {CHECK_UNIT} is {state.stdout.strip()}, not active:\n{journal}")
        assert new, f"No new running pod in `rkt list` under {CHECK_UNIT}:\n{journal}"
    finally:
        host.run(f"systemctl stop {CHECK_UNIT}; systemctl reset-failed {CHECK_UNIT}")
        host.run("rkt gc --grace-period=0s")
    assert not new & _running_pods(host), (
        f"The pod {new} still runs after `systemctl stop {CHECK_UNIT}`.")


@pytest.mark.req("RKT-5")
def test_the_host_has_the_cgroup_v1_hierarchy(host):
    root = host.run("stat -fc %T /sys/fs/cgroup").stdout.strip()
    assert root != "cgroup2fs" and host.mount_point("/sys/fs/cgroup/memory").exists and \
        host.mount_point("/sys/fs/cgroup/memory").filesystem == "cgroup", (
        f"/sys/fs/cgroup is {root}: the host runs the unified cgroup v2 hierarchy, which rkt "
        "1.29's stage1 does not support. Add `systemd.unified_cgroup_hierarchy=0` to the "
        "kernel's command line (`grubby --update-kernel=ALL --args=…` on EL, GRUB_CMDLINE_LINUX "
        "in /etc/default/grub + `update-grub` on Debian) and reboot.")
