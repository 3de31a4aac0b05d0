"""TP section "Low level containerization — 1. avec runc".

    installer : runc (juste un paquet), docker (suivez la doc officielle)
    démarrez le service systemd docker.service avec le binaire systemctl
    docker info … le runtime utilisé (runc)
    créer un bundle : rootfs/ (docker export d'un conteneur alpine) et config.json (runc spec)
    runc run … vérifier les namespaces, puis runc kill et runc delete

Requirements: RUNC-1, RUNC-2, RUNC-3 (docker info shows the default runtime
once Docker runs; nothing to configure for it), RUNC-4 and RUNC-5 (the bundle,
run on the main node as ``tp-runc``; the acceptance check kills and deletes a
container of its own, and leaves this one running for the student to look at).
"""

from __future__ import annotations

import json

from pyinfra import host
from pyinfra.api import FactBase, operation
from pyinfra.facts.files import Directory, File
from pyinfra.operations import systemd

from lab.settings import Settings
from provision import platform as platforms

BUNDLE = "/srv/tp15/runc"
CONTAINER = "tp-runc"
# What `runc spec` writes, changed only as far as a run without a terminal needs.
SPEC_EDITS = ('s/"terminal": true/"terminal": false/', 's/"sh"$/"sleep", "9999"/')


class RuncContainers(FactBase):
    """runc's containers by ID, each with its status and PID (``runc list``).

        host.get_fact(RuncContainers)    # -> {'tp-runc': {'status': 'running', 'pid': 4242}}
    """

    command = "runc list --format json"
    requires_command = "runc"

    @staticmethod
    def default() -> dict:
        return {}

    def process(self, output) -> dict:
        listed = json.loads("\n".join(output) or "null") or []
        return {entry["id"]: {"status": entry["status"], "pid": entry["pid"]}
                for entry in listed}


def install_runc(platform: platforms.Platform, settings: Settings) -> None:
    """RUNC-1 — ``dnf install runc`` / ``apt install runc``.

    On a docker-ce host runc comes from Docker's containerd.io, which replaces
    the distribution's runc package; so the repository comes first there.
    """
    if settings.engine == "docker-ce":
        platforms.add_docker_repository(platform)
    platforms.install_packages(platform, platform.runc_packages(settings),
                               name="Install runc (RUNC-1)")


def install_docker(platform: platforms.Platform, settings: Settings) -> None:
    """RUNC-2 — Docker Engine, the official way: Docker's repository and pinned
    docker-ce (``dnf install docker-ce-24.0.9 …``); Debian's docker.io when the
    lab is offline (``engine: distribution``)."""
    platforms.install_packages(platform, platform.docker_packages(settings),
                               name="Install Docker Engine (RUNC-2)")


def start_docker() -> None:
    """RUNC-2, DCFG-1 — ``systemctl enable --now docker.socket docker.service``."""
    for unit in ("docker.socket", "docker.service"):
        systemd.service(name=f"Enable and start {unit} (RUNC-2, DCFG-1)",
                        service=unit, running=True, enabled=True)


@operation()
def rootfs_exported(bundle: str, image: str):
    """RUNC-4 — ``mkdir rootfs && docker export $(docker create alpine) | tar -C rootfs -xf -``
    (the created container removed afterwards), when ``rootfs/bin`` is not there yet."""
    if host.get_fact(Directory, f"{bundle}/rootfs/bin"):
        host.noop(f"{bundle}/rootfs holds {image}'s files")
        return
    yield (f"mkdir -p {bundle}/rootfs && cid=$(docker create {image}) && "
           f"docker export $cid | tar -C {bundle}/rootfs -xf - && docker rm $cid")


@operation()
def spec_written(bundle: str):
    """RUNC-4 — ``runc spec`` in the bundle, then no terminal and a process that lasts
    (``sleep 9999`` instead of ``sh``), when there is no ``config.json`` yet."""
    if host.get_fact(File, f"{bundle}/config.json"):
        host.noop(f"{bundle}/config.json exists")
        return
    edits = " ".join(f"-e '{edit}'" for edit in SPEC_EDITS)
    yield f"cd {bundle} && runc spec && sed -i {edits} config.json"


@operation()
def container_running(bundle: str, container: str):
    """RUNC-5 — ``runc run -d NAME`` from the bundle (stdio detached), after ``runc delete``
    of a stopped one of the same name; nothing when it runs."""
    status = host.get_fact(RuncContainers).get(container, {}).get("status")
    if status == "running":
        host.noop(f"runc container {container} is running")
        return
    if status:
        yield f"runc delete --force {container}"
    yield f"cd {bundle} && runc run -d {container} </dev/null >/dev/null 2>&1"


def run_bundle(settings: Settings) -> None:
    """RUNC-4, RUNC-5 — the bundle from the TP's alpine, run by runc alone (main node)."""
    rootfs_exported(name="Export alpine into the runc bundle's rootfs/ (RUNC-4)",
                    bundle=BUNDLE, image=settings.tp_images["alpine"])
    spec_written(name="runc spec, without terminal, sleep 9999 (RUNC-4)", bundle=BUNDLE)
    container_running(name=f"runc run -d {CONTAINER} (RUNC-5)",
                      bundle=BUNDLE, container=CONTAINER)


def deploy(platform: platforms.Platform, settings: Settings) -> None:
    """The section's steps in the TP's order."""
    install_runc(platform, settings)
    install_docker(platform, settings)
    platforms.hold_docker_packages(platform, settings)
    start_docker()
