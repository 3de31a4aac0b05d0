"""TP section "Low level containerization — 1. avec runc" (RUNC-*)."""

import json

import pytest

from lab.settings import MAIN_NODE


@pytest.mark.req("RUNC-1")
def test_runc_is_installed_and_on_path(host):
    # Run, not host.exists("runc"): on PATH, and it answers.
    version = host.run("runc --version")
    assert version.rc == 0, (
        f"`runc --version` failed ({version.stderr.strip() or 'runc not found'}). "
        "Install runc: `dnf install runc` (CentOS) or `apt install runc` (Debian); "
        "with docker-ce it comes in the containerd.io package."
    )


@pytest.mark.req("RUNC-2")
def test_docker_engine_is_installed_the_official_way(host, settings):
    accepted = ["docker-ce"] + (["docker.io"] if settings.engine == "distribution" else [])
    installed = [name for name in accepted if host.package(name).is_installed]
    assert installed, (
        f"None of the packages {accepted} is installed. Install Docker Engine by following "
        "docs.docker.com/engine/install for your distribution: add Docker's repository, "
        "then install docker-ce (not your distribution's docker or podman-docker)."
    )


@pytest.mark.req("RUNC-2")
def test_docker_service_is_enabled_and_active(host):
    service = host.service("docker.service")
    assert service.systemd_properties["LoadState"] == "loaded", (
        "docker.service does not exist: install Docker Engine (docs.docker.com/engine/install).")
    assert service.is_enabled, "docker.service is not enabled: `systemctl enable docker.service`."
    assert service.is_running, (
        "docker.service is not active: `systemctl start docker.service`, and "
        "`journalctl -u docker.service` says why it stopped."
    )


@pytest.mark.req("RUNC-3")
def test_docker_info_reports_runc_as_default_runtime(docker_info):
    runtime = docker_info["DefaultRuntime"]
    assert runtime == "runc", (
        f"`docker info` reports the default runtime {runtime!r}, not runc: "
        "remove `default-runtime` from /etc/docker/daemon.json (or the --default-runtime "
        "flag) and restart docker."
    )


NAMESPACES = ("mnt", "uts", "ipc", "pid", "net")
CHECK_CONTAINER = "tp15-check-runc"


@pytest.fixture(scope="module")
def runc_container(host) -> dict:
    """A running container of runc's own (``runc list``, not Docker's), as runc lists
    it: ``{"id": …, "pid": …, "bundle": …}``; fails, saying what to do, when there is none."""
    listed = host.run("runc list --format json")
    running = [c for c in json.loads(listed.stdout or "null") or [] if c["status"] == "running"] \
        if listed.rc == 0 else []
    if not running:
        pytest.fail(
            "`runc list` shows no running container"
            f"{f' ({listed.stderr.strip()})' if listed.rc else ''}. Make a bundle "
            "(rootfs/ from `docker export $(docker create alpine)`, config.json from `runc "
            "spec` with \"terminal\": false and a lasting process such as `sleep 9999`) and "
            "start it from the bundle's dir with `runc run -d NAME`.")
    return running[0]


@pytest.mark.nodes(MAIN_NODE)
@pytest.mark.req("RUNC-4")
def test_runc_bundle_has_config_and_alpine_rootfs(host, runc_container):
    bundle = runc_container["bundle"]
    assert host.file(f"{bundle}/config.json").is_file, (
        f"The bundle {bundle} of runc container {runc_container['id']} has no config.json: "
        "run `runc spec` in the bundle's dir.")
    sh = host.file(f"{bundle}/rootfs/bin/sh")  # alpine's is a link to /bin/busybox
    assert sh.exists or sh.is_symlink, (
        f"{bundle}/rootfs has no bin/sh: fill it from alpine with "
        "`docker export $(docker create alpine) | tar -C rootfs -xf -`.")


@pytest.mark.nodes(MAIN_NODE)
@pytest.mark.req("RUNC-5")
def test_runc_container_has_its_own_namespaces(host, runc_container):
    pid = runc_container["pid"]
    shared = [ns for ns in NAMESPACES
              if host.file(f"/proc/{pid}/ns/{ns}").linked_to
              == host.file(f"/proc/1/ns/{ns}").linked_to]
    assert not shared, (
        f"runc container {runc_container['id']} (PID {pid}) shares the host's {shared} "
        "namespaces: keep the `namespaces` list of `runc spec`'s config.json (pid, network, "
        "ipc, uts, mount).")


@pytest.mark.nodes(MAIN_NODE)
@pytest.mark.req("RUNC-5")
def test_runc_container_is_not_a_docker_container(host, runc_container):
    docker_ids = host.run("docker ps --all --quiet --no-trunc").stdout.split()
    assert runc_container["id"] not in docker_ids and \
        not runc_container["bundle"].startswith(("/run/containerd", "/var/run/docker")), (
        f"runc container {runc_container['id']} is one of Docker's: start your own from "
        "the bundle with `runc run -d NAME`, without Docker.")


@pytest.mark.nodes(MAIN_NODE)
@pytest.mark.req("RUNC-5")
def test_runc_kill_and_delete_remove_a_container_of_the_bundle(host, runc_container):
    """The check's own container from the same bundle: started, killed, deleted."""
    host.run(f"runc delete --force {CHECK_CONTAINER}")
    bundle = runc_container["bundle"]
    # The container keeps what it is given as stdout: not the check's pipe, or it would wait.
    started = host.run(
        f"runc run -d --bundle {bundle} {CHECK_CONTAINER} </dev/null >/dev/null "
        f"2>/run/{CHECK_CONTAINER}.err; rc=$?; cat /run/{CHECK_CONTAINER}.err >&2; exit $rc")
    try:
        assert started.rc == 0, (
            f"`runc run -d --bundle {bundle} {CHECK_CONTAINER}` failed: {started.stderr.strip()}. "
            "A detached run needs a valid config.json with \"terminal\": false.")
        state = json.loads(host.check_output(f"runc state {CHECK_CONTAINER}"))["status"]
        assert state == "running", f"{CHECK_CONTAINER} is {state} right after `runc run -d`."
        killed = host.run(f"runc kill {CHECK_CONTAINER} KILL")
        assert killed.rc == 0, f"`runc kill {CHECK_CONTAINER} KILL` failed: {killed.stderr.strip()}"
        host.run(f"for i in $(seq 20); do runc state {CHECK_CONTAINER} | grep -q '\"stopped\"' "
                 "&& break; sleep 0.5; done")
        deleted = host.run(f"runc delete {CHECK_CONTAINER}")
        assert deleted.rc == 0, (
            f"`runc delete {CHECK_CONTAINER}` after `runc kill` failed: {deleted.stderr.strip()}")
        assert host.run(f"runc state {CHECK_CONTAINER}").rc != 0, (
            f"{CHECK_CONTAINER} is still in `runc list` after `runc delete`.")
    finally:
        host.run(f"runc delete --force {CHECK_CONTAINER}; rm -f /run/{CHECK_CONTAINER}.err")
