"""The images the TP's commands use (alpine, nginx, redis, python), under the
names lab.yml gives them (``tp_images``).

    images: hub      docker pull alpine:latest …        (what a student does)
    images: offline  docker import --change 'CMD …' alpine.tar alpine:latest
                     from stand-ins built on the host by images/build-offline

node1, the main Docker host, gets every image; node2 gets alpine.
Requirements that need them: RUNC-4, OPS-1 … OPS-6, API-1 … API-3, CMP-*.
"""

import json
import shlex

from pyinfra import host
from pyinfra.api import operation
from pyinfra.api.exceptions import DeployError
from pyinfra.operations import files

from lab.settings import MAIN_NODE, REPO, Settings
from provision import engine
from provision.engine import ImageIds

OFFLINE_BUILD = REPO / "images" / ".build"
UPLOAD_DIR = "/var/cache/tp15-images"
# Marks an imported stand-in with the sha256 of its tarball, so that a rebuilt
# stand-in is imported again and an unchanged one is not.
ROOTFS_LABEL = "org.tp15.rootfs-sha256"


def wanted_images(settings: Settings) -> dict[str, str]:
    """TP name -> image reference for this node."""
    if host.name == MAIN_NODE:
        return dict(settings.tp_images)
    return {"alpine": settings.tp_images["alpine"]}


def import_command(reference: str, tarball: str, changes: list[str], sha256: str) -> str:
    """``docker import`` of a stand-in with its image config, then drop the tarball
    and the stand-in it replaces.

        >>> print(import_command("alpine:latest", "/tmp/a.tar", ['CMD ["/bin/sh"]'], "ab12"))
        docker import --change 'CMD ["/bin/sh"]' --change 'LABEL org.tp15.rootfs-sha256=ab12'
            /tmp/a.tar alpine:latest && rm -f /tmp/a.tar && docker image prune -f ...
    """
    options = " ".join(f"--change {shlex.quote(change)}"
                       for change in [*changes, f"LABEL {ROOTFS_LABEL}={sha256}"])
    return (f"docker import {options} {tarball} {reference} && rm -f {tarball} && "
            f"docker image prune -f --filter label={ROOTFS_LABEL}")


@operation()
def stand_in_imported(reference: str, source: str, tarball: str, changes: list[str],
                      sha256: str):
    """``docker import`` the stand-in tarball ``source`` (uploaded as ``tarball``) as
    ``reference``, unless the engine has it with this ``sha256`` label already."""
    if host.get_fact(ImageIds, reference, f"{ROOTFS_LABEL}={sha256}"):
        host.noop(f"{reference} is the current stand-in")
        return
    yield from files.put._inner(src=source, dest=tarball, mode="600")
    yield import_command(reference, tarball, changes, sha256)


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


def import_offline_images(settings: Settings) -> None:
    """Upload and ``docker import`` the stand-ins whose tarball the engine lacks."""
    manifest = read_manifest(list(wanted_images(settings)))
    files.directory(name=f"Create {UPLOAD_DIR}", path=UPLOAD_DIR, mode="700")
    for name, reference in wanted_images(settings).items():
        entry = manifest[name]
        stand_in_imported(
            name=f"docker import the {name} stand-in as {reference}", reference=reference,
            source=str(OFFLINE_BUILD / entry["file"]), tarball=f"{UPLOAD_DIR}/{entry['file']}",
            changes=entry["changes"], sha256=entry["sha256"])


def deploy(settings: Settings) -> None:
    """The TP's images in the node's engine: ``docker pull``, or the offline stand-ins."""
    if settings.images == "hub":
        for reference in wanted_images(settings).values():
            engine.image_pulled(name=f"docker pull {reference}", reference=reference)
    else:
        import_offline_images(settings)
