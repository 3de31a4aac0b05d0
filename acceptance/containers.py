"""The containers a graded host keeps, found by what they are (image, command,
options), never by the lab's names: a student's own ``docker run`` is graded.

    sleeping = [c for c in containers(host) if from_image(c, "alpine")]
    non_root = [c for c in containers(host) if runs_as_non_root(c)]
    mounts(c)   # {"/host-home": "/home"}: each bind mount's target and source
    [option for option, has in HARDENING.items() if has(c)]   # ["--read-only", …]
"""

import json

import pytest

# The label of the containers the checks start themselves: never graded as the student's,
# even when an interrupted run left one behind.
CHECK_LABEL = "tp15.check"
LABELLED = f"--label {CHECK_LABEL}=1"  # for the checks' own `docker run`


# How the docker CLI says the daemon refused to create or start a container (exit 125).
DAEMON_REFUSED = "Error response from daemon"


def check_run(host, command: str, *args, output: bool = False):
    """A check's own ``docker run …`` (``command``, formatted with ``args`` as
    ``host.run`` does): its result, or with ``output`` its stdout, which must then be a
    success. When the daemon refuses the container (exit 125: a full thin pool, a broken
    store), the check fails with the daemon's reason instead of what it would make of it.

        cid = check_run(host, f"docker run -d {LABELLED} alpine sleep 300", output=True)
    """
    run = host.run(command, *args)
    if run.rc == 125 and DAEMON_REFUSED in run.stderr:
        reason = run.stderr.strip().splitlines()[0].removeprefix("docker: ").rstrip(".")
        pytest.fail(f"Docker refused to start the check's own container, so the check could "
                    f"not run: {reason}. Fix that first, then grade again.", pytrace=False)
    if output:
        assert run.rc == 0, f"`{run.command.decode()}` failed (exit {run.rc}): " \
            f"{run.stderr.strip()[-300:]}"
        return run.stdout.strip()
    return run


def containers(host, stopped=False) -> list[dict]:
    """``docker inspect`` of each running container of ``host`` (with ``stopped``, of
    the stopped ones too), in one command; not the checks' own (``CHECK_LABEL``)."""
    listed = host.run(f"docker ps -q --no-trunc {'--all' if stopped else ''}")
    if listed.rc != 0:
        raise AssertionError(f"`docker ps` failed ({listed.stderr.strip()[:300]}): is Docker "
                             "Engine installed and its daemon running?")
    ids = listed.stdout.split()
    if not ids:
        return []
    # A container removed in between (a `docker run --rm` ending) is left out: inspect
    # then exits 1, with the others' JSON.
    inspected = host.run(f"docker inspect {' '.join(ids)}")
    if not inspected.stdout.strip().startswith("["):
        raise AssertionError(f"`docker inspect` failed: {inspected.stderr.strip()}")
    return [c for c in json.loads(inspected.stdout)
            if CHECK_LABEL not in (c["Config"].get("Labels") or {})]


def from_image(container: dict, name: str) -> bool:
    """Whether ``container`` was started from the TP's image ``name`` (``alpine``), as
    ``alpine``, ``alpine:3.20``, ``docker.io/library/alpine@sha256:…`` or a mirror's
    ``registry:5000/alpine``."""
    reference = container["Config"]["Image"].split("@")[0]
    return reference.rsplit("/", 1)[-1].split(":")[0] == name


def command(container: dict) -> str:
    """The container's command line, its entrypoint first: ``sleep 9999``."""
    config = container["Config"]
    return " ".join((config.get("Entrypoint") or []) + (config.get("Cmd") or []))


def runs_as_non_root(container: dict) -> bool:
    """Whether the container's processes start as a user other than root (``--user``)."""
    user = (container["Config"].get("User") or "").split(":")[0]
    return user not in ("", "0", "root")


def mounts(container: dict) -> dict[str, str]:
    """Each bind mount of ``container``: its target inside, its source on the host."""
    return {mount["Destination"]: mount["Source"] for mount in container.get("Mounts") or []
            if mount.get("Type") == "bind"}


def detached(container: dict) -> bool:
    """Whether ``container`` was started detached (``docker run -d``): no stream of it
    attached to the terminal that started it."""
    config = container["Config"]
    return not (config.get("AttachStdout") or config.get("AttachStderr")
                or config.get("AttachStdin"))


NGINX_HTML = "/usr/share/nginx/html"  # the official image's web root


def mounted_pages(container: dict) -> dict[str, str]:
    """The pages ``container`` serves from bind mounts, URL path -> file on the host: its
    web root's folder mounted (``/`` serves its index.html), or pages mounted one by one.

    >>> mounted_pages({"Mounts": [{"Type": "bind", "Source": "/srv/page",
    ...                            "Destination": "/usr/share/nginx/html"}]})
    {'/': '/srv/page/index.html'}
    >>> mounted_pages({"Mounts": [{"Type": "bind", "Source": "/srv/page.html",
    ...                            "Destination": "/usr/share/nginx/html/index.html"}]})
    {'/': '/srv/page.html'}
    """
    pages = {}
    for inside, source in mounts(container).items():
        inside = inside.rstrip("/")
        if inside == NGINX_HTML:
            pages["/"] = f"{source.rstrip('/')}/index.html"
        elif inside.startswith(NGINX_HTML + "/"):
            path = inside.removeprefix(NGINX_HTML)
            pages["/" if path == "/index.html" else path] = source
    return pages


def name(container: dict) -> str:
    """The container's name, as ``docker ps`` shows it."""
    return container["Name"].lstrip("/")


# SEC-6: each docker run option the TP names, and how `docker inspect` shows it.
HARDENING = {
    "--read-only": lambda c: c["HostConfig"].get("ReadonlyRootfs") is True,
    "--cap-drop ALL": lambda c: "ALL" in [cap.upper() for cap in
                                          c["HostConfig"].get("CapDrop") or []],
    "--security-opt no-new-privileges": lambda c: any(
        option.startswith("no-new-privileges") and not option.endswith("false")
        for option in c["HostConfig"].get("SecurityOpt") or []),
    "--pids-limit": lambda c: (c["HostConfig"].get("PidsLimit") or 0) > 0,
    "--memory": lambda c: (c["HostConfig"].get("Memory") or 0) > 0,
    "--user": runs_as_non_root,
}
