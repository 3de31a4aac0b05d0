"""The containers a graded host keeps, found by what they are (image, command,
options), never by the lab's names: a student's own ``docker run`` is graded.

    sleeping = [c for c in containers(host) if from_image(c, "alpine")]
    non_root = [c for c in containers(host) if runs_as_non_root(c)]
    mounts(c)   # {"/host-home": "/home"}: each bind mount's target and source
    [option for option, has in HARDENING.items() if has(c)]   # ["--read-only", …]
"""

import json


def containers(host, stopped=False) -> list[dict]:
    """``docker inspect`` of each running container of ``host`` (with ``stopped``, of
    the stopped ones too), in one command."""
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
    return json.loads(inspected.stdout)


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
