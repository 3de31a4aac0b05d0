"""TP section "Low level containerization — 1. avec runc" (RUNC-*).

The TP's ``runc run NAME`` is interactive (``runc spec`` gives ``"terminal": true`` and
``sh``): once the student leaves the shell, nothing runs. So RUNC-4 grades the bundle
itself (a running or stopped runc container's, else one found on the host), and RUNC-5
runs the check's own container from it: a copy of its config.json made detachable
(no terminal, ``sleep``), the student's rootfs read-only, deleted afterwards.
"""

import json
import shlex

import pytest


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
# Where a bundle is looked for when no runc container names it: every disk filesystem
# (a work dir may be on its own volume, /home or /srv), less what holds Docker's,
# containerd's and the system's own config.json files and the containers' mounts.
DISK_FILESYSTEMS = ("ext2", "ext3", "ext4", "xfs", "btrfs", "tmpfs")
FIND_BUNDLES = (
    "timeout 30 find / \\( -path /proc -o -path /sys -o -path /run -o -path /dev "
    "-o -path /usr -o -path /var/lib/docker -o -path /var/lib/containerd -o -path /var/lib/rkt "
    "-o -path '*/devicemapper' -o -path '*/overlay2' -o -path '*/rootfs' "
    "-o -path '/tmp/tp15-check-*' -o ! \\( "
    + " -o ".join(f"-fstype {kind}" for kind in DISK_FILESYSTEMS)
    + " \\) \\) -prune -o -name config.json -print 2>/dev/null")

@pytest.fixture(scope="module")
def runc_bundle(host) -> str:
    """The student's bundle: that of a container in ``runc list`` (running or stopped),
    else a folder of the host with a ``config.json`` beside a ``rootfs/``; fails, saying
    what to do, when there is none."""
    listed = host.run("runc list --format json")
    if listed.rc == 0:
        for container in json.loads(listed.stdout or "null") or []:
            if not container["bundle"].startswith(("/run/containerd", "/var/run/docker")):
                return container["bundle"]
    for config in host.run(FIND_BUNDLES).stdout.split():
        folder = config.rsplit("/", 1)[0]
        if host.file(f"{folder}/rootfs").is_directory and \
                '"ociVersion"' in host.file(config).content_string:
            return folder
    pytest.fail("No runc bundle on this host: neither `runc list` nor the file system shows "
                "a folder with config.json and rootfs/. In a work dir: `mkdir -p rootfs`, "
                "`docker export $(docker create alpine) | tar -C rootfs -xf -`, `runc spec`, "
                "then `runc run NAME`.")


def detachable_copy(config: dict, rootfs: str, seconds: int = 300) -> dict:
    """The bundle's config.json for the check's own detached run: no terminal, a
    ``sleep``, the student's rootfs by its absolute path and read-only.

    >>> copy = detachable_copy({"process": {"terminal": True, "args": ["sh"]},
    ...                         "root": {"path": "rootfs"}}, "/root/tp/rootfs")
    >>> copy["process"]["terminal"], copy["process"]["args"], copy["root"]
    (False, ['sleep', '300'], {'path': '/root/tp/rootfs', 'readonly': True})
    """
    copy = json.loads(json.dumps(config))
    copy["process"].update(terminal=False, args=["sleep", str(seconds)])
    copy["process"].pop("consoleSize", None)
    copy["root"] = {"path": rootfs, "readonly": True}
    return copy


@pytest.fixture(scope="module")
def check_bundle(host, runc_bundle):
    """A temporary bundle for the check's own container: the student's config.json made
    detachable, their rootfs; removed afterwards."""
    config = json.loads(host.file(f"{runc_bundle}/config.json").content_string)
    root = config.get("root", {}).get("path", "rootfs")
    rootfs = root if root.startswith("/") else f"{runc_bundle}/{root}"
    folder = host.check_output("mktemp -d /tmp/tp15-check-runc.XXXXXX")
    text = json.dumps(detachable_copy(config, rootfs))
    host.run_expect([0], f"printf %s {shlex.quote(text)} > {folder}/config.json")
    yield folder
    host.run(f"runc delete --force {CHECK_CONTAINER}; rm -rf {folder}")


@pytest.fixture(scope="module")
def runc_container(host, check_bundle) -> dict:
    """The check's own container, run from the student's bundle without Docker
    (``runc run -d``), as ``runc state`` shows it: ``{"id": …, "pid": …, "bundle": …}``."""
    host.run(f"runc delete --force {CHECK_CONTAINER}")
    # The container keeps what it is given as stdout: not the check's pipe, or it would wait.
    started = host.run(
        f"runc run -d --bundle {check_bundle} {CHECK_CONTAINER} </dev/null >/dev/null "
        f"2>{check_bundle}/err; rc=$?; cat {check_bundle}/err >&2; exit $rc")
    if started.rc != 0:
        pytest.fail(f"runc cannot run a container from your bundle's config.json and rootfs "
                    f"(`runc run` said: {started.stderr.strip()[-300:]}): run `runc spec` "
                    "again in the bundle's dir and check rootfs/ holds alpine's files.")
    return json.loads(host.check_output(f"runc state {CHECK_CONTAINER}"))


@pytest.mark.req("RUNC-4")
def test_runc_bundle_has_config_and_alpine_rootfs(host, runc_bundle):
    bundle = runc_bundle
    assert host.file(f"{bundle}/config.json").is_file, (
        f"The bundle {bundle} has no config.json: run `runc spec` in the bundle's dir.")
    sh = host.file(f"{bundle}/rootfs/bin/sh")  # alpine's is a link to /bin/busybox
    assert sh.exists or sh.is_symlink, (
        f"{bundle}/rootfs has no bin/sh: fill it from alpine with "
        "`docker export $(docker create alpine) | tar -C rootfs -xf -`.")


@pytest.mark.req("RUNC-5")
def test_runc_container_has_its_own_namespaces(host, runc_container):
    pid = runc_container["pid"]
    shared = [ns for ns in NAMESPACES
              if host.file(f"/proc/{pid}/ns/{ns}").linked_to
              == host.file(f"/proc/1/ns/{ns}").linked_to]
    assert not shared, (
        f"A container of your bundle (PID {pid}) shares the host's {shared} namespaces: keep "
        "the `namespaces` list of `runc spec`'s config.json (pid, network, ipc, uts, mount).")


@pytest.mark.req("RUNC-5")
def test_the_bundle_is_not_one_of_docker_s(runc_bundle):
    assert not runc_bundle.startswith(("/run/containerd", "/var/run/docker", "/var/lib/docker")), (
        f"The bundle {runc_bundle} is one of Docker's: make your own (rootfs/ and `runc spec`) "
        "and run it with `runc run NAME`, without Docker.")


@pytest.mark.req("RUNC-5")
def test_runc_kill_and_delete_remove_a_container_of_the_bundle(host, runc_container):
    """The check's own container, running from the student's bundle: killed, deleted."""
    state = runc_container["status"]
    assert state == "running", f"{CHECK_CONTAINER} is {state} right after `runc run -d`."
    assert CHECK_CONTAINER in host.check_output("runc list -q").split(), (
        f"{CHECK_CONTAINER} runs but `runc list` does not show it.")
    killed = host.run(f"runc kill {CHECK_CONTAINER} KILL")
    assert killed.rc == 0, f"`runc kill {CHECK_CONTAINER} KILL` failed: {killed.stderr.strip()}"
    host.run(f"for i in $(seq 20); do runc state {CHECK_CONTAINER} | grep -q '\"stopped\"' "
             "&& break; sleep 0.5; done")
    deleted = host.run(f"runc delete {CHECK_CONTAINER}")
    assert deleted.rc == 0, (
        f"`runc delete {CHECK_CONTAINER}` after `runc kill` failed: {deleted.stderr.strip()}")
    assert host.run(f"runc state {CHECK_CONTAINER}").rc != 0, (
        f"{CHECK_CONTAINER} is still in `runc list` after `runc delete`.")
