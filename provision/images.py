"""The images the TP's commands use (alpine, nginx, redis, python), under the
names lab.yml gives them (``tp_images``).

    images: hub      docker pull alpine:latest …        (what a student does)
    images: offline  docker load -i alpine-….docker.tar
                     stand-ins built on the host by images/build-offline, in archives
                     made from them on the host (lab/docker_archive.py); by hand:
                     docker import --change 'CMD …' alpine.tar alpine:latest

node1, the main Docker host, gets every image; node2 gets alpine.
Requirements that need them: RUNC-4, OPS-1 … OPS-6, API-1 … API-3, CMP-*.
"""

import json

from pyinfra import host
from pyinfra.api import operation
from pyinfra.api.exceptions import DeployError
from pyinfra.operations import files

from lab.docker_archive import StandIn, docker_archives
from lab.settings import MAIN_NODE, REPO, Settings
from provision import engine
from provision.engine import ImageIds

OFFLINE_BUILD = REPO / "images" / ".build"
LOAD_BUILD = OFFLINE_BUILD / "load"
UPLOAD_DIR = "/var/cache/tp15-images"
# Marks a loaded stand-in with the sha256 of its tarball, so that a rebuilt
# stand-in is loaded again and an unchanged one is not.
ROOTFS_LABEL = "org.tp15.rootfs-sha256"


def wanted_images(settings: Settings) -> dict[str, str]:
    """TP name -> image reference for this node."""
    if host.name == MAIN_NODE:
        return dict(settings.tp_images)
    return {"alpine": settings.tp_images["alpine"]}


def load_command(archive: str) -> str:
    """``docker load`` of a stand-in's archive, then drop the archive and the stand-in it
    replaces.

        >>> print(load_command("/var/cache/tp15-images/alpine-0123.docker.tar"))
        docker load -i /var/cache/tp15-images/alpine-0123.docker.tar
            && rm -f /var/cache/tp15-images/alpine-0123.docker.tar
            && docker image prune -f --filter label=org.tp15.rootfs-sha256
    """
    return (f"docker load -i {archive} && rm -f {archive} && "
            f"docker image prune -f --filter label={ROOTFS_LABEL}")


@operation()
def stand_in_loaded(reference: str, source: str, archive: str, sha256: str):
    """``docker load`` the stand-in's archive ``source`` (uploaded as ``archive``), which
    tags it ``reference``, unless the engine has it with this ``sha256`` label already."""
    if host.get_fact(ImageIds, reference, f"{ROOTFS_LABEL}={sha256}"):
        host.noop(f"{reference} is the current stand-in")
        return
    yield from files.put._inner(src=source, dest=archive, mode="600")
    yield load_command(archive)


def read_manifest(names: list[str]) -> dict[str, dict]:
    """images/build-offline's manifest (TP name -> file, sha256, changes), which must have
    a stand-in for each of ``names``; DeployError saying what to do, else."""
    manifest_file = OFFLINE_BUILD / "manifest.json"
    if not manifest_file.exists():
        raise DeployError(
            f"images: offline, but {manifest_file} does not exist: build the stand-ins "
            "first with `sudo images/build-offline`, or set images: hub in lab.yml."
        )
    manifest = json.loads(manifest_file.read_text())
    missing = sorted(set(names) - set(manifest))
    if missing:
        raise DeployError(f"{manifest_file} has no stand-in for {', '.join(missing)}: run "
                          "`sudo images/build-offline` and look at its errors.")
    return manifest


def stand_ins(settings: Settings) -> list[StandIn]:
    """This node's stand-ins from images/build-offline's manifest, each labelled with its
    tarball's sha256 (how a rebuilt one is told from the one the engine has)."""
    wanted = wanted_images(settings)
    manifest = read_manifest(list(wanted))
    found = []
    for name, reference in wanted.items():
        entry = manifest[name]
        found.append(StandIn(name, reference, OFFLINE_BUILD / entry["file"], entry["sha256"],
                             [*entry["changes"], f"LABEL {ROOTFS_LABEL}={entry['sha256']}"],
                             entry.get("base")))
    return found


def load_offline_images(settings: Settings) -> None:
    """Upload and ``docker load`` the stand-ins the engine lacks (nginx, redis and python
    share a layer: lab/docker_archive.py)."""
    wanted = stand_ins(settings)
    archives = docker_archives(wanted, LOAD_BUILD)
    files.directory(name=f"Create {UPLOAD_DIR}", path=UPLOAD_DIR, mode="700")
    for stand_in in wanted:
        archive = archives[stand_in.name]
        stand_in_loaded(
            name=f"docker load the {stand_in.name} stand-in as {stand_in.reference}",
            reference=stand_in.reference, source=str(archive),
            archive=f"{UPLOAD_DIR}/{archive.name}", sha256=stand_in.sha256)


def deploy(settings: Settings, solving: bool = False) -> None:
    """The TP's images in the node's engine: ``docker pull``, or the offline stand-ins.
    ``solving`` (``lab.student solve``, over a student lab): ``docker pull`` of those the
    engine lacks, as the student would (offline, through the lab's registry mirror); the
    student's own images stay as they are."""
    if settings.images == "hub" or solving:
        for reference in wanted_images(settings).values():
            engine.image_pulled(name=f"docker pull {reference}", reference=reference)
    else:
        load_offline_images(settings)
