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
from pyinfra.api.exceptions import DeployError
from pyinfra.facts.server import Command
from pyinfra.operations import files, server

from lab.settings import MAIN_NODE, REPO, Settings

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


def image_label(reference: str) -> str:
    """The stand-in label of ``reference`` in the node's engine ('' when absent)."""
    template = f'{{{{index .Config.Labels "{ROOTFS_LABEL}"}}}}'
    return host.get_fact(
        Command, f"docker image inspect --format '{template}' {reference} 2>/dev/null || true")


def pull_images(settings: Settings, store_moved: bool) -> None:
    """``docker pull`` each image the TP uses, once."""
    for reference in wanted_images(settings).values():
        present = not store_moved and host.get_fact(
            Command, f"docker image inspect --format . {reference} 2>/dev/null || true")
        if present:
            host.noop(f"{reference} is present")
            continue
        server.shell(name=f"docker pull {reference}", commands=[f"docker pull {reference}"])


def import_command(reference: str, tarball: str, changes: list[str], sha256: str) -> str:
    """``docker import`` of a stand-in with its image config, then drop the tarball
    and the stand-in it replaces.

        >>> import_command("alpine:latest", "/tmp/a.tar", ['CMD ["/bin/sh"]'], "ab12")
        "docker import --change 'CMD [\"/bin/sh\"]' --change 'LABEL …=ab12' /tmp/a.tar …"
    """
    options = " ".join(f"--change {shlex.quote(change)}"
                       for change in [*changes, f"LABEL {ROOTFS_LABEL}={sha256}"])
    return (f"docker import {options} {tarball} {reference} && rm -f {tarball} && "
            f"docker image prune -f --filter label={ROOTFS_LABEL}")


def import_offline_images(settings: Settings, store_moved: bool) -> None:
    """Upload and ``docker import`` the stand-ins whose tarball the engine lacks."""
    manifest_file = OFFLINE_BUILD / "manifest.json"
    if not manifest_file.exists():
        raise DeployError(
            f"images: offline, but {manifest_file} does not exist: build the stand-ins "
            "first with `sudo images/build-offline`, or set images: hub in lab.yml."
        )
    manifest = json.loads(manifest_file.read_text())
    files.directory(name=f"Create {UPLOAD_DIR}", path=UPLOAD_DIR, mode="700")
    missing = sorted(set(wanted_images(settings)) - set(manifest))
    if missing:
        raise DeployError(f"{manifest_file} has no stand-in for {', '.join(missing)}: run "
                          "`sudo images/build-offline` and look at its errors.")
    for name, reference in wanted_images(settings).items():
        entry = manifest[name]
        if not store_moved and image_label(reference) == entry["sha256"]:
            host.noop(f"{reference} is the current stand-in")
            continue
        tarball = f"{UPLOAD_DIR}/{entry['file']}"
        files.put(name=f"Upload the {name} stand-in", src=str(OFFLINE_BUILD / entry["file"]),
                  dest=tarball, mode="600")
        server.shell(name=f"docker import the {name} stand-in as {reference}",
                     commands=[import_command(reference, tarball, entry["changes"],
                                              entry["sha256"])])


def deploy(settings: Settings, store_moved: bool) -> None:
    """``store_moved``: this run moves Docker's store (daemon.json), so the images
    seen now will be gone after the restart."""
    if settings.images == "hub":
        pull_images(settings, store_moved)
    else:
        import_offline_images(settings, store_moved)
