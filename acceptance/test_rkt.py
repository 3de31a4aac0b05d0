"""TP section "Low level containerization — 2. avec rkt" (RKT-*).

The image rkt runs is the lab's alpine from the registry on the node (lab.yml
``rkt.registry``): rkt 1.29 cannot read the image indexes Docker Hub serves today. The
report notes which image the checks ran. A lab that had no rkt package to install
(``images: offline`` without the official package in the artifacts folder) reports
RKT-1 … RKT-5 as SKIP, naming the file and where to put it: they never pass without rkt.
"""

import pytest

from acceptance.boot import NEXT_BOOT_COMMAND, cgroup_arguments, next_boot_arguments
from lab.artifacts import rkt_package
from lab.registry import RKT_INSECURE, rkt_alpine

CHECK_UNIT = "tp15-check-rkt"
RUN_SECONDS = 300  # a first fetch and pod under emulation take about two minutes


@pytest.fixture(scope="module", autouse=True)
def lab_has_rkt(settings, on_the_lab):
    """On the lab, SKIP when it had no rkt package to install (the lab's own missing
    artifact); on a student's host a missing rkt stays a failure."""
    if on_the_lab:
        source = rkt_package(settings)
        if source.kind == "none":
            pytest.skip(source.where)


@pytest.fixture(scope="module")
def rkt_installed(host, settings):
    """Fails, saying what to do, when ``rkt`` does not answer."""
    version = host.run("rkt version")
    if version.rc != 0:
        pytest.fail(
            f"`rkt version` failed ({version.stderr.strip() or 'rkt not found'}). Install rkt "
            "1.29.0's release package: `rpm -ivh rkt-1.29.0-1.x86_64.rpm` (EL) or `apt install "
            "./rkt_1.29.0-1_amd64.deb` (Debian), from github.com/rkt/rkt/releases.")
    return version.stdout


def alpine_in_store(listed: str) -> str | None:
    """The ID of an alpine image in rkt's store, from ``rkt image list --no-legend
    --full --fields=id,name``: what the student's ``rkt run docker://alpine`` left there.

    >>> alpine_in_store("sha512-1a2b registry-1.docker.io/library/alpine:latest")
    'sha512-1a2b'
    """
    for line in listed.splitlines():
        fields = line.split()
        if len(fields) == 2 and "alpine" in fields[1].rsplit("/", 1)[-1]:
            return fields[0]
    return None


@pytest.fixture(scope="module")
def image(host, settings, on_the_lab, rkt_installed) -> str:
    """What the checks run: on the lab, its alpine from the registry on the node; on a
    student's host, the alpine their own ``rkt run`` left in rkt's store."""
    if on_the_lab:
        return rkt_alpine(settings)
    listed = host.run("rkt image list --no-legend --full --fields=id,name").stdout
    found = alpine_in_store(listed)
    if not found:
        pytest.fail("rkt's store holds no alpine image (`rkt image list`): run `rkt "
                    "--insecure-options=image run docker://alpine --exec /bin/true` (rkt 1.29 "
                    "cannot read Docker Hub's image index: from a registry of yours, filled "
                    "with `skopeo copy --format v2s2`).")
    return found


@pytest.fixture(scope="module")
def alpine_run(host, rkt_installed, image):
    """``rkt run IMAGE --exec /bin/true`` once, bounded, then ``rkt gc``: what RKT-3 and
    RKT-5 observe."""
    command = f"rkt --insecure-options={RKT_INSECURE} run {image} --exec /bin/true"
    ran = host.run(f"timeout {RUN_SECONDS} {command}")
    host.run("rkt gc --grace-period=0s")
    return command, ran


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
def test_rkt_runs_alpine_to_completion(alpine_run, image, record_property):
    record_property("note", f"rkt ran {image}")
    command, ran = alpine_run
    assert ran.rc == 0, (
        f"`{command}` exited {ran.rc}{' (timed out)' if ran.rc == 124 else ''}: "
        f"{(ran.stderr.strip() or ran.stdout.strip())[-400:]}. Docker images need "
        "--insecure-options=image, and rkt 1.29 cannot read the image index Docker Hub serves "
        "for alpine: serve it from a registry of your own (`skopeo copy --format v2s2 …`).")


def _running_pods(host) -> set[str]:
    """The UUIDs of the pods `rkt list` shows running."""
    listed = host.run("rkt list --no-legend --full").stdout.splitlines()
    return {fields[0] for fields in map(str.split, listed) if "running" in fields}


@pytest.mark.req("RKT-4")
def test_a_pod_under_systemd_run_is_an_active_unit_in_rkt_list(host, rkt_installed, image,
                                                               record_property):
    """The check's own pod: started under systemd-run, seen running, stopped, collected."""
    record_property("note", f"systemd-run rkt ran {image}")
    host.run(f"systemctl stop {CHECK_UNIT}; systemctl reset-failed {CHECK_UNIT}")
    before = _running_pods(host)
    started = host.run(f"systemd-run --unit={CHECK_UNIT} rkt --insecure-options={RKT_INSECURE} "
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
def test_rkt_s_stage1_runs_a_pod_on_this_boot(alpine_run, host):
    command, ran = alpine_run
    hierarchy = host.run("stat -fc %T /sys/fs/cgroup").stdout.strip()
    assert ran.rc == 0, (
        f"rkt's stage1 did not run a pod on this boot (/sys/fs/cgroup is {hierarchy}): `{command}` "
        f"exited {ran.rc}: {(ran.stderr.strip() or ran.stdout.strip())[-300:]}. rkt's packages "
        "default to the coreos stage1, which needs cgroup v1: boot with "
        "`systemd.unified_cgroup_hierarchy=0` (`grubby --update-kernel=ALL --args=…` on EL, "
        "GRUB_CMDLINE_LINUX in /etc/default/grub + `update-grub` on Debian) and reboot, or "
        "run pods with a stage1 that runs on cgroup v2 (host, fly).")


@pytest.mark.req("RKT-5")
def test_the_next_boot_keeps_this_boot_s_cgroup_arguments(host):
    """What rkt's stage1 runs on now must still be there after a reboot."""
    now = cgroup_arguments(host.file("/proc/cmdline").content_string)
    configured = next_boot_arguments(host.run(NEXT_BOOT_COMMAND).stdout.splitlines())
    if configured is None:
        pytest.fail("Neither `grubby --info=DEFAULT` nor /boot/grub/grub.cfg tells this host's "
                    "next kernel command line: RKT-5 cannot see what the next boot keeps.")
    lost = [argument for argument in now if argument not in configured]
    assert not lost, (
        f"This boot runs with {' '.join(lost)}, which the boot loader does not give the next "
        "boot: after a reboot rkt's stage1 would not find the cgroups it runs on now. Make it "
        "permanent (`grubby --update-kernel=ALL --args=…` on EL, GRUB_CMDLINE_LINUX in "
        "/etc/default/grub + `update-grub` on Debian).")
