"""TP section "Docker basics — 4. Robust conf" (SEC-1 … SEC-6).

SEC-4 (devicemapper direct-lvm) is checked on node1, the node with a thin-pool
disk; SEC-5 fills a container's disk there and watches the host and the daemon.
SEC-6 finds the host's hardened container, the running one with the most of
``docker run``'s security options (acceptance/containers.py), and observes the
effect of each option from inside it.
"""

import json
import re
import time
from typing import NamedTuple

import pytest

from acceptance.containers import HARDENING, LABELLED, check_run, containers, name
from acceptance.seccomp import differs_from_moby
from acceptance.thin_pool import PoolStatus, pool_status
from lab.settings import load, seccomp_profile

# SEC-4 and SEC-5 are for the lab's nodes with a thin pool (lab.yml decides: node1).
THIN_POOL_NODES = [node.name for node in load().nodes.values() if node.thin_pool]


@pytest.mark.req("SEC-1")
def test_kernel_allows_user_namespaces(host):
    limit = host.sysctl("user.max_user_namespaces")
    assert limit > 0, (
        "user.max_user_namespaces is 0: user namespaces are disabled. "
        "`sysctl -w user.max_user_namespaces=15000` and keep it in /etc/sysctl.d/."
    )
    # unshare(1) makes a user namespace in which the caller is root.
    inside = host.run("unshare --user --map-root-user id -u")
    assert inside.rc == 0 and inside.stdout.strip() == "0", (
        f"The kernel refuses to create a user namespace: {inside.stderr.strip()}"
    )


@pytest.mark.req("SEC-1")
def test_user_namespaces_stay_enabled_after_a_reboot(host):
    # What the TP asks of the student: the setting kept where sysctl reads it at boot
    # (the kernel's default alone is not the student's work).
    kept = host.run("grep -hsE '^[[:space:]]*user[./]max_user_namespaces[[:space:]]*=' "
                    "/etc/sysctl.conf /etc/sysctl.d/*.conf")
    values = [line.split("=", 1)[1].strip() for line in kept.stdout.splitlines()]
    assert values and values[-1].isdigit() and int(values[-1]) > 0, (
        f"user.max_user_namespaces is {'set to ' + values[-1] if values else 'not set'} in "
        "/etc/sysctl.conf or /etc/sysctl.d/*.conf: write `user.max_user_namespaces = 15000` "
        "in a file of /etc/sysctl.d/ so that it holds after a reboot (`sysctl --system`)."
    )


def remap_range(host, daemon_json: dict) -> tuple[str, int, int]:
    """The remap user (daemon.json userns-remap), the first uid of its /etc/subuid
    range and the first gid of its /etc/subgid range: ``user, uid, gid``."""
    remap = daemon_json.get("userns-remap")
    assert remap, ("daemon.json has no \"userns-remap\": add \"userns-remap\": \"default\" "
                   "and restart docker.")
    user = "dockremap" if remap == "default" else remap.split(":")[0]
    firsts = []
    for ranges in ("/etc/subuid", "/etc/subgid"):
        lines = [line for line in host.file(ranges).content_string.splitlines()
                 if line.startswith(f"{user}:")]
        assert lines, f"{ranges} has no range for {user}: dockerd could not set up the remapping."
        firsts.append(int(lines[0].split(":")[1]))
    return user, *firsts


@pytest.mark.req("SEC-2")
def test_daemon_remaps_user_namespaces(docker_info):
    # Security Options, e.g. ['name=seccomp,profile=…', 'name=userns']
    options = docker_info["SecurityOptions"]
    assert "name=userns" in options, (
        f"docker info's Security Options are {options}, without userns: set "
        "\"userns-remap\": \"default\" in /etc/docker/daemon.json and restart docker."
    )


@pytest.mark.req("SEC-2")
def test_remap_user_has_subordinate_ids(host, daemon_json):
    remap_range(host, daemon_json)  # fails, naming the file, when a range is missing


@pytest.mark.req("SEC-2")
def test_remapped_data_dir_belongs_to_the_remapped_uid(host, settings, daemon_json,
                                                       docker_info):
    _, uid, gid = remap_range(host, daemon_json)
    root = docker_info["DockerRootDir"]
    # dockerd keeps the folder itself root-owned (mode 0710) with the remapped
    # group, so that the remapped root can traverse it and nobody else.
    group = host.file(root).gid
    assert root.startswith(settings.daemon.data_root + "/") and group == gid, (
        f"Docker's data dir is {root}, group {group}: with userns-remap it is "
        f"{settings.daemon.data_root}/{uid}.{gid} and belongs to the remapped group {gid}."
    )


def root_uid_on_the_host(host, pid: int) -> int | None:
    """The host uid that uid 0 of process ``pid``'s user namespace maps to, from
    /proc/PID/uid_map (``0 100000 65536``: root inside is uid 100000 outside); None when
    the process is gone."""
    shown = host.run(f"cat /proc/{pid}/uid_map")
    for line in shown.stdout.splitlines() if shown.rc == 0 else []:
        inside, outside, _ = line.split()
        if inside == "0":
            return int(outside)
    return None


@pytest.mark.req("SEC-2")
def test_container_root_is_unprivileged_on_the_host(host, settings, daemon_json, container):
    _, first, _ = remap_range(host, daemon_json)
    # A running container of the host's own, in the daemon's user namespace (not
    # --userns=host); else one of the check's.
    pids = [c["State"]["Pid"] for c in containers(host)
            if c["HostConfig"].get("UsernsMode") in ("", None)]
    found = next(((pid, uid) for pid in pids
                  if (uid := root_uid_on_the_host(host, pid)) is not None), None)
    if found is None:
        started = container(f"{settings.tp_images['alpine']} sleep 300")
        pid = host.docker(started).inspect()["State"]["Pid"]
        found = pid, root_uid_on_the_host(host, pid)
    pid, outside = found
    assert outside == first, (
        f"root in a container is uid {outside} on the host (/proc/{pid}/uid_map), not the "
        f"remapped {first}: userns-remap is not in effect (`systemctl restart docker` once "
        "daemon.json names it)."
    )


@pytest.mark.req("SEC-3")
def test_daemon_uses_mobys_profile(host, settings, daemon_json, docker_info):
    path = daemon_json.get("seccomp-profile")
    assert path, ("daemon.json names no \"seccomp-profile\": install Moby's "
                  "profiles/seccomp/default.json and name it there.")
    installed = json.loads(host.file(path).content_string)
    moby = json.loads(seccomp_profile(settings.versions.moby_seccomp).read_text())
    problem = differs_from_moby(installed, moby)
    assert not problem, (
        f"{path} is not Moby's profile: {problem}. Install profiles/seccomp/default.json "
        f"of a Moby release (the lab's: {settings.versions.moby_seccomp})."
    )
    seccomp = [option for option in docker_info["SecurityOptions"]
               if option.startswith("name=seccomp")]
    assert seccomp and f"profile={path}" in seccomp[0], (
        f"docker info shows {seccomp or 'no seccomp'}, not the profile {path}: restart docker."
    )


@pytest.fixture(scope="module")
def filtered(host, settings, docker_info) -> str:
    """What a container under the daemon's default seccomp profile says of itself, one
    container for both SEC-3 checks: its /proc/self/status Seccomp line, then what
    ``unshare -U true`` printed and its exit status::

        Seccomp:        2
        unshare: unshare(0x10000000): Operation not permitted
        unshare=1
    """
    return check_run(host, f"docker run --rm {LABELLED} {settings.tp_images['alpine']} sh -c "
                     "'grep ^Seccomp: /proc/self/status; unshare -U true 2>&1; "
                     "echo unshare=$?'", output=True)


@pytest.mark.req("SEC-3")
def test_seccomp_filter_is_active_in_containers(filtered):
    status = next((line for line in filtered.splitlines() if line.startswith("Seccomp:")),
                  "no Seccomp line")
    assert status.split()[-1] == "2", (
        f"/proc/self/status in a container shows {status!r}, not 'Seccomp: 2' (filtering)."
    )


@pytest.mark.req("SEC-3")
def test_profile_blocks_unshare_without_sys_admin(host, settings, filtered):
    # Moby's profile allows unshare(2) only with CAP_SYS_ADMIN: a user namespace
    # cannot be made under the filter, and can without it.
    said = "\n".join(line for line in filtered.splitlines() if not line.startswith("Seccomp:"))
    unfiltered = check_run(host, f"docker run --rm {LABELLED} --security-opt seccomp=unconfined "
                           f"{settings.tp_images['alpine']} unshare -U true")
    assert not said.endswith("unshare=0") and "not permitted" in said.lower(), (
        "unshare(CLONE_NEWUSER) succeeded in a container: the seccomp profile does not filter "
        f"it ({said!r})."
    )
    assert unfiltered.rc == 0, (
        "unshare -U also fails with --security-opt seccomp=unconfined: the check cannot tell "
        f"seccomp's part ({unfiltered.stderr.strip()!r})."
    )


def driver_status(docker_info) -> dict[str, str]:
    """``docker info``'s storage driver details, e.g. {'Pool Name': 'docker-thinpool', …}."""
    return dict(docker_info["DriverStatus"] or [])


# LVM has no testinfra module: lvs, pvs and lvmconfig answer for themselves.
def lvm(host, command: str) -> str:
    """What an LVM command prints; fails, saying what is missing, when it fails."""
    shown = host.run(command)
    if shown.rc != 0:
        pytest.fail(f"`{command}` failed ({shown.stderr.strip()[:200]}): make the thin pool "
                    "as Docker's \"Configure direct-lvm mode manually\" says (pvcreate, "
                    "vgcreate docker, lvcreate … thinpool, lvconvert, the profile).")
    return shown.stdout


@pytest.mark.req("SEC-4")
@pytest.mark.nodes(*THIN_POOL_NODES)
def test_storage_driver_is_devicemapper_on_the_thin_pool(docker_info):
    driver = docker_info["Driver"]
    status = driver_status(docker_info) if driver == "devicemapper" else {}
    assert status.get("Pool Name") == "docker-thinpool", (
        f"docker info shows the storage driver {driver!r}, pool "
        f"{status.get('Pool Name')!r}: set \"storage-driver\": \"devicemapper\" and "
        "\"storage-opts\": [\"dm.thinpooldev=/dev/mapper/docker-thinpool\", …] in "
        "/etc/docker/daemon.json, then restart docker."
    )


@pytest.mark.req("SEC-4")
@pytest.mark.nodes(*THIN_POOL_NODES)
def test_devicemapper_uses_no_loop_files(docker_info):
    loops = {key: value for key, value in driver_status(docker_info).items()
             if "loop file" in key}
    assert not loops, (
        f"devicemapper runs in loop-lvm mode ({loops}), which Docker says not to use in "
        "production: give it a thin pool with dm.thinpooldev (direct-lvm)."
    )


@pytest.mark.req("SEC-4")
@pytest.mark.nodes(*THIN_POOL_NODES)
@pytest.mark.parametrize("option", ["Deferred Removal Enabled", "Deferred Deletion Enabled"])
def test_devicemapper_defers_removal_and_deletion(docker_info, option):
    shown = driver_status(docker_info).get(option)
    assert shown == "true", (
        f"docker info shows {option}: {shown!r}: add "
        "\"dm.use_deferred_removal=true\" and \"dm.use_deferred_deletion=true\" to "
        "storage-opts in daemon.json."
    )


def decimal_bytes(size: str) -> float:
    """A size as ``docker info`` prints it (decimal units): ``1.074GB`` is 1.074e9."""
    number, unit = re.fullmatch(r"([0-9.]+)\s*([kMGT]?B)", size.strip()).groups()
    return float(number) * 1000 ** " kMGT".index(unit[0] if len(unit) == 2 else " ")


@pytest.mark.req("SEC-4")
@pytest.mark.lab
@pytest.mark.nodes(*THIN_POOL_NODES)
def test_containers_get_the_base_size_lab_yml_gives(docker_info, settings):
    shown = driver_status(docker_info).get("Base Device Size", "")
    wanted = settings.security.dm_basesize_bytes
    assert shown and abs(decimal_bytes(shown) - wanted) < wanted / 100, (
        f"docker info shows a Base Device Size of {shown!r}, not lab.yml's "
        f"security.dm_basesize ({settings.security.dm_basesize}): storage-opts in "
        "daemon.json wants \"dm.basesize=...\" (a base size only grows: a smaller one needs "
        "the thin pool emptied)."
    )


@pytest.mark.req("SEC-4")
@pytest.mark.nodes(*THIN_POOL_NODES)
def test_thin_pool_sits_alone_on_a_dedicated_disk(host):
    pvs = host.check_output("pvs --noheadings -o pv_name --select vg_name=docker").split()
    assert pvs, "There is no VG `docker`: `pvcreate` the dedicated disk, then `vgcreate docker`."
    for pv in pvs:
        kind = host.check_output(f"lsblk -dno TYPE {pv}")
        assert kind == "disk", (
            f"VG docker is on {pv}, a {kind}: it wants a whole disk of its own "
            "(pvcreate /dev/<disk>)."
        )
    lvs = lvm(host, "lvs --noheadings -o lv_name docker").split()
    assert lvs == ["thinpool"], (
        f"VG docker holds {lvs}: it is Docker's alone, with the one thin pool `thinpool`."
    )
    segtype = lvm(host, "lvs --noheadings -o segtype docker/thinpool").strip()
    assert segtype == "thin-pool", (
        f"docker/thinpool is {segtype!r}, not a thin pool: `lvconvert -y --zero n -c 512K "
        "--thinpool docker/thinpool --poolmetadata docker/thinpoolmeta`."
    )


@pytest.mark.req("SEC-4")
@pytest.mark.nodes(*THIN_POOL_NODES)
def test_thin_pool_autoextends_and_is_monitored(host):
    fields = lvm(host, "lvs --noheadings --separator '|' -o lv_profile,seg_monitor "
                       "docker/thinpool")
    profile, monitor = (field.strip() for field in fields.split("|"))
    assert profile, ("docker/thinpool has no LVM profile: `lvchange --metadataprofile "
                     "docker-thinpool docker/thinpool` after writing "
                     "/etc/lvm/profile/docker-thinpool.profile.")
    threshold = int(lvm(
        host, f"lvmconfig --metadataprofile {profile} --type full "
        "activation/thin_pool_autoextend_threshold").split("=")[1])
    assert threshold < 100, (
        f"The profile {profile} has thin_pool_autoextend_threshold={threshold}: at 100 the "
        "pool never grows. Use 80 with thin_pool_autoextend_percent=20."
    )
    percent = int(lvm(
        host, f"lvmconfig --metadataprofile {profile} --type full "
        "activation/thin_pool_autoextend_percent").split("=")[1])
    assert percent > 0, (
        f"The profile {profile} has thin_pool_autoextend_percent={percent}: the pool would "
        "reach its threshold and grow by nothing. Use thin_pool_autoextend_percent=20."
    )
    assert monitor == "monitored", (
        f"docker/thinpool is {monitor or 'not monitored'}: without dmeventd's monitoring "
        "the autoextend profile is never applied. `lvchange --monitor y docker/thinpool`."
    )


FILL_SECONDS = 150  # the fill's bound: a 2G base size is filled in about 8 s under emulation
# The fill, in the container: the bulk with direct I/O (no copy through the page cache:
# 1.8 GB in 7.6 s under emulation, against 22 to 26 s for a plain `dd`), then, through
# the page cache as a plain `dd` writes, the room direct I/O's large blocks leave (else a
# small write still succeeds). A dd without oflag=direct fills it all at the second.
FILL = "dd if=/dev/zero of=/fill bs=4M oflag=direct; dd if=/dev/zero of=/fill.rest bs=1M"
KILL_SECONDS = 90  # `docker kill` on a full pool waits out dm-thin's 60 s no-space timeout


class Fill(NamedTuple):
    filler: str  # the container whose shell filled its disk
    quiet: str  # a container beside it, that must keep working
    outcome: str | None  # "container" (its disk full), "pool" (the thin pool full), None
    dd: str  # what dd said, and its exit status as rc=N when it ended
    pool: str  # docker info's Pool Name
    before: PoolStatus  # the pool before the fill
    after: PoolStatus  # the pool when the fill ended


@pytest.fixture(scope="module")
def filled(host, settings, docker_info):
    """SEC-5: a container whose disk a shell fills with ``dd``, beside a quiet one, until
    dd fails (the container's disk is full) or the thin pool has no block left (then dd
    waits on the queued writes: never waited for), bounded by FILL_SECONDS. Both
    containers are removed afterwards, whatever happened, so the pool gets its space back."""
    driver = docker_info["Driver"]
    if driver != "devicemapper":
        pytest.fail(f"The storage driver is {driver!r}: the disk-fill test needs SEC-4's "
                    "devicemapper thin pool, or it would fill the host's own filesystem.")
    pool = driver_status(docker_info).get("Pool Name", "")
    before = pool_status(host, pool)
    if before is None:
        pytest.fail(f"`dmsetup status {pool}` does not show docker info's Pool Name as a thin "
                    "pool: configure devicemapper with dm.thinpooldev (SEC-4).")
    if before.full:
        pytest.fail(f"The thin pool {pool} is already full ({before.used}/{before.total} "
                    f"blocks, {before.mode}) before the fill: remove what fills it (`docker rm "
                    "-f` the container that filled it, `docker system prune`), then grade again.")
    alpine = settings.tp_images["alpine"]
    quiet = check_run(host, f"docker run -d {LABELLED} {alpine} sleep 900", output=True)
    filler = check_run(host, f"docker run -d {LABELLED} {alpine} sleep 900", output=True)
    log = host.check_output("mktemp /tmp/tp15-fill.XXXXXX")
    try:
        host.run_expect([0], f"setsid sh -c 'timeout -s KILL {FILL_SECONDS} docker exec "
                        f"{filler} sh -c \"{FILL}\" 2>>{log}; echo rc=$? >>{log}' "
                        "</dev/null >/dev/null 2>&1 &")
        outcome, status, deadline = None, before, time.monotonic() + FILL_SECONDS
        while outcome is None and time.monotonic() < deadline:
            time.sleep(1)
            status = pool_status(host, pool) or status
            said = host.file(log).content_string
            outcome = "pool" if status.full else "container" if "rc=" in said else None
        yield Fill(filler, quiet, outcome, host.file(log).content_string, pool, before, status)
    finally:
        # [d]ocker: pkill's pattern must not match the shell that runs it.
        host.run(f"timeout 150 docker rm -f {filler} {quiet}; rm -f {log}; "
                 f"pkill -f '[d]ocker exec {filler}'")


@pytest.mark.req("SEC-5")
@pytest.mark.nodes(*THIN_POOL_NODES)
def test_filling_a_container_disk_stops_its_writes_and_spares_the_host(host, settings, filled,
                                                                      record_property):
    """Either outcome is the TP's: the container's own disk (dm.basesize) full while the
    host and the other containers stay healthy, or the whole thin pool full and Docker
    refusing further writes ("plus aucune opération est réalisable")."""
    fill = filled
    assert fill.outcome, (
        f"In {FILL_SECONDS} s, dd in a container neither ran out of space nor filled the thin "
        f"pool {fill.pool} ({fill.after.percent:.0f} % used): {fill.dd.strip()[-200:]!r}. "
        f"A container's disk is bounded by dm.basesize ({settings.security.dm_basesize} here).")
    filled_what = "the whole thin pool" if fill.outcome == "pool" else "the container's disk"
    record_property("note", f"the fill filled {filled_what}")
    full = {mount: int(host.check_output(f"df --output=pcent {mount} | tail -1").strip(" %"))
            for mount in ("/", settings.daemon.data_root)}
    assert all(percent < 95 for percent in full.values()), (
        f"The host's filesystems are nearly full ({full}) after a container filled its disk: "
        "the container's writes must stay in the thin pool.")
    assert host.run("timeout 60 docker ps -q").rc == 0, (
        "`docker ps` no longer answers after a container filled its disk.")
    if fill.outcome == "pool":
        refused = host.run(f"timeout 60 docker run --rm {LABELLED} "
                           f"{settings.tp_images['alpine']} true")
        assert refused.rc != 0, (
            f"The thin pool {fill.pool} is full, yet Docker still starts containers on it.")
        return
    assert "rc=0" not in fill.dd and "no space left" in fill.dd.lower(), (
        f"dd in the container stopped without 'No space left on device': "
        f"{fill.dd.strip()[-200:]!r}: its disk is not bounded (dm.basesize, SEC-4).")
    more = host.run(f"timeout 30 docker exec {fill.filler} sh -c 'echo more > /more'")
    assert more.rc != 0 and "no space left" in more.stderr.lower(), (
        f"After the disk was full, a write in the container did not fail with ENOSPC "
        f"(rc={more.rc}, {more.stderr.strip()!r}).")
    assert host.run(f"timeout 30 docker exec {fill.quiet} true").rc == 0, (
        "Another container stopped working after one filled its disk.")


@pytest.mark.req("SEC-5")
@pytest.mark.nodes(*THIN_POOL_NODES)
def test_a_filled_container_is_killed_from_outside_and_gives_its_space_back(host, settings,
                                                                            filled):
    fill = filled
    if fill.outcome is None:
        pytest.fail("The fill did not end (see the other SEC-5 check): nothing to kill.")
    started = time.monotonic()
    kill = host.run(f"timeout {KILL_SECONDS} docker kill {fill.filler}")
    took = time.monotonic() - started
    running = host.run(f"timeout 30 docker inspect -f '{{{{.State.Running}}}}' {fill.filler}")
    assert kill.rc == 0 and running.stdout.strip() == "false", (
        f"`docker kill` of the container with a full disk did not stop it in {took:.0f} s "
        f"(rc={kill.rc}, running={running.stdout.strip()}): {kill.stderr.strip()!r}")
    removed = host.run(f"timeout 120 docker rm {fill.filler}")
    assert removed.rc == 0, f"`docker rm` of the killed container failed: {removed.stderr!r}"
    # Deferred deletion frees the thin device in the background: wait for the pool to
    # lose at least three quarters of what the fill took.
    given_back = fill.before.used + (fill.after.used - fill.before.used) / 4
    deadline = time.monotonic() + 90
    status = fill.after
    while status.used > given_back and time.monotonic() < deadline:
        time.sleep(1)
        status = pool_status(host, fill.pool) or status
    assert status.used <= given_back, (
        f"The thin pool {fill.pool} is {status.percent:.1f} % full after removing the filled "
        f"container (it was {fill.before.percent:.1f} % before the fill, "
        f"{fill.after.percent:.1f} % after): its thin device was not given back to the pool.")
    again = host.run(f"timeout 90 docker run --rm {LABELLED} {settings.tp_images['alpine']} true")
    assert again.rc == 0, (
        f"Docker does not run containers again once the filled one is gone: "
        f"{again.stderr.strip()[-200:]!r}")


# Above these, the limits are read from the container's cgroup only: flooding or filling
# up to them would take minutes under emulation.
FLOODED_PIDS_UP_TO = 256
FILLED_MEMORY_UP_TO = 256 * 2**20


@pytest.fixture(scope="module")
def hardened(host) -> dict:
    """The running container with the most of the TP's docker run security options
    (``docker inspect``); fails when no running container has any."""
    scored = sorted(((sum(has(c) for has in HARDENING.values()), c) for c in containers(host)),
                    key=lambda pair: -pair[0])
    if not scored or scored[0][0] == 0:
        pytest.fail("No running container uses docker run's security options: `docker run -d "
                    f"{' '.join(HARDENING)} … alpine sleep 9999` with your values, and leave it "
                    "running.")
    return scored[0][1]


def has_option(container: dict, option: str) -> None:
    """Fails, naming the container and the option, when ``container`` was run without it."""
    assert HARDENING[option](container), (
        f"The hardened container {name(container)} (the running one with the most of the TP's "
        f"security options) was started without {option}: start it again with it."
    )


def status_field(host, container, field):
    """A field of /proc/1/status inside ``container``."""
    line = host.check_output(f"docker exec {container['Id']} grep '^{field}:' /proc/1/status")
    return line.split(":", 1)[1].strip()


def limit_in_effect(host, container, option, key, cgroup_files) -> int:
    """The limit ``container`` was run with (``option``, HostConfig's ``key``), once its
    own cgroup shows it (``cgroup_files``: the v2 file, then v1's on a host booted on
    cgroup v1); fails, saying which, when either is missing."""
    has_option(container, option)
    limit = container["HostConfig"][key]
    v2, v1 = cgroup_files
    seen = host.check_output(f"docker exec {container['Id']} cat /sys/fs/cgroup/{v2} "
                             f"2>/dev/null || docker exec {container['Id']} cat "
                             f"/sys/fs/cgroup/{v1}")
    assert seen == str(limit), (
        f"{name(container)} runs with {option} {limit}, but its cgroup allows {seen}.")
    return limit


@pytest.mark.req("SEC-6")
def test_read_only_root_filesystem(host, hardened):
    has_option(hardened, "--read-only")
    write = host.run(f"docker exec {hardened['Id']} touch /probe")
    assert write.rc != 0 and "read-only" in write.stderr.lower(), (
        "With --read-only, writing to / must fail with 'Read-only file system' "
        f"(got rc={write.rc}, {write.stderr.strip()!r})."
    )


@pytest.mark.req("SEC-6")
def test_all_capabilities_dropped(host, hardened):
    has_option(hardened, "--cap-drop ALL")
    assert status_field(host, hardened, "CapEff") == "0000000000000000", (
        "With --cap-drop ALL the container's process keeps no capability (CapEff all zeros)."
    )


@pytest.mark.req("SEC-6")
def test_no_new_privileges(host, hardened):
    has_option(hardened, "--security-opt no-new-privileges")
    assert status_field(host, hardened, "NoNewPrivs") == "1", (
        "With --security-opt no-new-privileges, /proc/1/status shows NoNewPrivs: 1."
    )


@pytest.mark.req("SEC-6")
def test_non_root_user(host, hardened):
    has_option(hardened, "--user")
    inside = host.check_output(f"docker exec {hardened['Id']} id -u")
    assert inside != "0", (
        f"With --user {hardened['Config']['User']} the container's processes run as uid "
        f"{inside}: root."
    )


@pytest.mark.req("SEC-6")
def test_pids_limit_is_in_effect(host, hardened):
    limit = limit_in_effect(host, hardened, "--pids-limit", "PidsLimit",
                            ("pids.max", "pids/pids.max"))
    if limit > FLOODED_PIDS_UP_TO:
        return
    # The flood runs in a throwaway container with the graded one's limit and image: a
    # shell refused a fork exits, and in the graded container its children would stay,
    # zombies of a PID 1 that may reap nothing, counting against the limit for good.
    flood = check_run(host, f"docker run --rm {LABELLED} --pids-limit %s %s sh -c %s", str(limit),
                     hardened["Config"]["Image"],
                     f"for i in $(seq {limit + 16}); do sleep 1 & done; wait")
    assert "fork" in flood.stderr.lower() or "resource temporarily" in flood.stderr.lower(), (
        f"{limit + 16} processes started in a container with --pids-limit {limit}: the limit "
        f"is not enforced (stderr: {flood.stderr.strip()[:200]!r})."
    )


@pytest.mark.req("SEC-6")
def test_memory_limit_is_in_effect(host, hardened):
    limit = limit_in_effect(host, hardened, "--memory", "Memory",
                            ("memory.max", "memory/memory.limit_in_bytes"))
    if limit > FILLED_MEMORY_UP_TO:
        return
    # dd's one buffer of limit + 136 MB (swap is twice the limit), filled from /dev/zero:
    # a single process, which leaves nothing behind in the graded container when killed.
    size = limit // 2**20 + 136
    run = host.run(f"docker exec {hardened['Id']} dd if=/dev/zero of=/dev/null "
                   f"bs={size * 2**20} count=1")
    assert run.rc == 137, (
        f"A process using {size} MB in a container with --memory {limit // 2**20}m was not "
        f"OOM-killed (exit {run.rc}, expected 137)."
    )
