"""TP section "Docker basics — 4. Robust conf" (SEC-*), so far SEC-1, SEC-2, SEC-3
and SEC-6.

SEC-6 starts its own container with the security options of ``docker run``
and observes the effect of each one from inside.
"""

import json

import pytest

from lab.settings import MAIN_NODE, seccomp_profile
from provision.security import HARDENED_OPTIONS


@pytest.mark.req("SEC-1")
def test_kernel_allows_user_namespaces(host):
    limit = int(host.check_output("sysctl -n user.max_user_namespaces"))
    assert limit > 0, (
        "user.max_user_namespaces is 0: user namespaces are disabled. "
        "`sysctl -w user.max_user_namespaces=15000` and keep it in /etc/sysctl.d/."
    )
    # unshare(1) makes a user namespace in which the caller is root.
    inside = host.run("unshare --user --map-root-user id -u")
    assert inside.rc == 0 and inside.stdout.strip() == "0", (
        f"The kernel refuses to create a user namespace: {inside.stderr.strip()}"
    )


def security_options(host) -> list[str]:
    """``docker info``'s Security Options, e.g. ['name=seccomp,profile=…', 'name=userns']."""
    return json.loads(host.check_output("docker info --format '{{json .SecurityOptions}}'"))


def daemon_json(host) -> dict:
    config = host.file("/etc/docker/daemon.json")
    return json.loads(config.content_string) if config.exists else {}


def remap_range(host) -> tuple[str, int]:
    """The remap user (daemon.json userns-remap) and the first uid of its range."""
    remap = daemon_json(host).get("userns-remap")
    assert remap, ("daemon.json has no \"userns-remap\": add \"userns-remap\": \"default\" "
                   "and restart docker.")
    user = "dockremap" if remap == "default" else remap.split(":")[0]
    lines = [line for line in host.file("/etc/subuid").content_string.splitlines()
             if line.startswith(f"{user}:")]
    assert lines, f"/etc/subuid has no range for {user}: dockerd could not set up the remapping."
    return user, int(lines[0].split(":")[1])


@pytest.mark.req("SEC-2")
def test_daemon_remaps_user_namespaces(host):
    options = security_options(host)
    assert "name=userns" in options, (
        f"docker info's Security Options are {options}, without userns: set "
        "\"userns-remap\": \"default\" in /etc/docker/daemon.json and restart docker."
    )


@pytest.mark.req("SEC-2")
def test_remap_user_has_subordinate_ids(host):
    user, _ = remap_range(host)
    assert f"{user}:" in host.file("/etc/subgid").content_string, (
        f"/etc/subgid has no range for {user}."
    )


@pytest.mark.req("SEC-2")
def test_remapped_data_dir_belongs_to_the_remapped_uid(host, settings):
    _, first = remap_range(host)
    root = host.check_output("docker info --format '{{.DockerRootDir}}'")
    # dockerd keeps the folder itself root-owned (mode 0710) with the remapped
    # group, so that the remapped root can traverse it and nobody else.
    group = host.check_output(f"stat -c %g {root}")
    assert root.startswith(settings.daemon.data_root + "/") and group == str(first), (
        f"Docker's data dir is {root}, group {group}: with userns-remap it is "
        f"{settings.daemon.data_root}/{first}.{first} and belongs to the remapped group {first}."
    )


@pytest.mark.req("SEC-2")
@pytest.mark.nodes(MAIN_NODE)
def test_container_root_is_unprivileged_on_the_host(host, settings):
    _, first = remap_range(host)
    cid = host.check_output(f"docker run -d {settings.tp_images['alpine']} sleep 300")
    try:
        pid = host.check_output(f"docker inspect --format '{{{{.State.Pid}}}}' {cid}")
        inside = host.check_output(f"docker exec {cid} id -u")
        outside = host.check_output(f"ps -o uid= -p {pid}")
    finally:
        host.run(f"docker rm -f {cid}")
    assert inside == "0" and outside == str(first), (
        f"root in a container (uid {inside} inside) is uid {outside} on the host, not the "
        f"remapped {first}: userns-remap is not in effect."
    )


@pytest.mark.req("SEC-3")
def test_daemon_uses_mobys_profile(host, settings):
    path = daemon_json(host).get("seccomp-profile")
    assert path, ("daemon.json names no \"seccomp-profile\": install Moby's "
                  "profiles/seccomp/default.json and name it there.")
    installed = json.loads(host.file(path).content_string)
    moby = json.loads(seccomp_profile(settings.versions.moby_seccomp).read_text())
    assert installed == moby, (
        f"{path} is not Moby's profile {settings.versions.moby_seccomp} "
        "(profiles/seccomp/default.json of that release)."
    )
    seccomp = [option for option in security_options(host) if option.startswith("name=seccomp")]
    assert seccomp and f"profile={path}" in seccomp[0], (
        f"docker info shows {seccomp or 'no seccomp'}, not the profile {path}: restart docker."
    )


@pytest.mark.req("SEC-3")
@pytest.mark.nodes(MAIN_NODE)
def test_seccomp_filter_is_active_in_containers(host, settings):
    status = host.check_output(f"docker run --rm {settings.tp_images['alpine']} "
                               "grep '^Seccomp:' /proc/self/status")
    assert status.split()[-1] == "2", (
        f"/proc/self/status in a container shows {status!r}, not 'Seccomp: 2' (filtering)."
    )


@pytest.mark.req("SEC-3")
@pytest.mark.nodes(MAIN_NODE)
def test_profile_blocks_unshare_without_sys_admin(host, settings):
    # Moby's profile allows unshare(2) only with CAP_SYS_ADMIN: a user namespace
    # cannot be made under the filter, and can without it.
    alpine = settings.tp_images["alpine"]
    filtered = host.run(f"docker run --rm {alpine} unshare -U true")
    unfiltered = host.run(f"docker run --rm --security-opt seccomp=unconfined {alpine} "
                          "unshare -U true")
    assert filtered.rc != 0 and "not permitted" in filtered.stderr.lower(), (
        "unshare(CLONE_NEWUSER) succeeded in a container: the seccomp profile does not filter "
        f"it (rc={filtered.rc}, {filtered.stderr.strip()!r})."
    )
    assert unfiltered.rc == 0, (
        "unshare -U also fails with --security-opt seccomp=unconfined: the check cannot tell "
        f"seccomp's part ({unfiltered.stderr.strip()!r})."
    )


@pytest.fixture(scope="module")
def hardened(host, settings):
    """A container started with the TP's security options; removed afterwards."""
    cid = host.check_output(f"docker run -d {HARDENED_OPTIONS} "
                            f"{settings.tp_images['alpine']} sleep 600")
    yield cid
    host.run(f"docker rm -f {cid}")


def status_field(host, cid, field):
    """A field of /proc/1/status inside container ``cid``."""
    line = host.check_output(f"docker exec {cid} grep '^{field}:' /proc/1/status")
    return line.split(":", 1)[1].strip()


@pytest.mark.req("SEC-6")
@pytest.mark.nodes(MAIN_NODE)
def test_read_only_root_filesystem(host, hardened):
    write = host.run(f"docker exec {hardened} touch /probe")
    assert write.rc != 0 and "read-only" in write.stderr.lower(), (
        "With --read-only, writing to / must fail with 'Read-only file system' "
        f"(got rc={write.rc}, {write.stderr.strip()!r})."
    )


@pytest.mark.req("SEC-6")
@pytest.mark.nodes(MAIN_NODE)
def test_all_capabilities_dropped(host, hardened):
    assert status_field(host, hardened, "CapEff") == "0000000000000000", (
        "With --cap-drop ALL the container's process keeps no capability (CapEff all zeros)."
    )


@pytest.mark.req("SEC-6")
@pytest.mark.nodes(MAIN_NODE)
def test_no_new_privileges(host, hardened):
    assert status_field(host, hardened, "NoNewPrivs") == "1", (
        "With --security-opt no-new-privileges, /proc/1/status shows NoNewPrivs: 1."
    )


@pytest.mark.req("SEC-6")
@pytest.mark.nodes(MAIN_NODE)
def test_non_root_user(host, hardened):
    assert host.check_output(f"docker exec {hardened} id -u") == "1000", (
        "With --user 1000:1000 the container's processes run as uid 1000, not root."
    )


@pytest.mark.req("SEC-6")
@pytest.mark.nodes(MAIN_NODE)
def test_pids_limit_stops_a_fork_flood(host, hardened):
    # 80 background sleeps against --pids-limit 64: the shell must fail to fork.
    flood = host.run(f"docker exec {hardened} sh -c "
                     "'for i in $(seq 80); do sleep 30 & done; echo started'")
    host.run(f"docker exec {hardened} pkill sleep")
    assert "fork" in flood.stderr.lower() or "resource temporarily" in flood.stderr.lower(), (
        "80 processes started in a container with --pids-limit 64: the limit is not applied "
        f"(stderr: {flood.stderr.strip()[:200]!r})."
    )


@pytest.mark.req("SEC-6")
@pytest.mark.nodes(MAIN_NODE)
def test_memory_limit_kills_an_oversized_process(host, settings):
    # The shell keeps 200 MB of output in a variable: over --memory 64m.
    run = host.run(f"docker run --rm {HARDENED_OPTIONS} {settings.tp_images['alpine']} "
                   "sh -c 'x=$(dd if=/dev/zero bs=1M count=200 2>/dev/null | tr \"\\0\" a); "
                   "echo ${#x}'")
    assert run.rc == 137, (
        f"A process using 200 MB in a container with --memory 64m was not OOM-killed "
        f"(exit {run.rc}, expected 137)."
    )
