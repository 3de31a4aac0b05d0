"""Profile student: node1 and node2 as the TP takes them, nothing of the TP applied.

The machines are the reference lab's (box, CPUs, memory, the extra disks left blank,
the private network, names resolvable: provision/machines.py). This adds only what a
student cannot get where the lab has no internet, so that the TP's commands work:

- ``images: offline``: node1 runs a registry serving the TP's images under Docker Hub's
  names, and /etc/docker/daemon.json on both nodes names it as Docker's mirror, so the
  TP's ``docker pull alpine`` works once the student has installed Docker;
- on node1, in ``student.files`` (/opt/tp15): rkt's official package when the artifacts
  folder has it, and the Python app the TP hands out (with its wheels offline, since the
  nodes reach no PyPI), with a README.txt saying what is there (and where rkt's package
  comes from when it is not there).

Installing runc, Docker, Compose or rkt, the LVM volumes, every daemon setting: the TP's,
left to the student. ``pytest acceptance/`` grades how far they got.
"""

import os
from io import StringIO
from pathlib import Path

from pyinfra import host, logger
from pyinfra.api import operation
from pyinfra.facts.files import File
from pyinfra.operations import files

from lab.artifacts import rkt_package, rkt_package_name, rkt_release_url
from lab.oci import oci_archive
from lab.registry import hub_repository, mirror_address
from lab.settings import DAEMON_JSON, MAIN_NODE, REPO, Settings
from provision import platform as platforms
from provision import registry
from provision.images import OFFLINE_BUILD, UPLOAD_DIR, read_manifest

APP = REPO / "app"
APP_FILES = ("app.py", "requirements.txt")  # what the TP hands out: the code, its needs
OCI_BUILD = OFFLINE_BUILD / "oci"


def mirror_json(address: str) -> str:
    """The daemon.json a student starts from when the lab is offline.

        >>> print(mirror_json("192.168.56.11:5050"), end="")
        {
          "registry-mirrors": ["http://192.168.56.11:5050"]
        }
    """
    return f'{{\n  "registry-mirrors": ["http://{address}"]\n}}\n'


@operation()
def daemon_json_started(content: str):
    """/etc/docker/daemon.json with ``content`` unless it exists: the student's, from then on."""
    if host.get_fact(File, DAEMON_JSON):
        host.noop(f"{DAEMON_JSON} exists: the student's")
        return
    yield from files.put._inner(src=StringIO(content), dest=DAEMON_JSON, mode="644",
                                create_remote_dir=True)


def serve_tp_images(platform: platforms.Platform, settings: Settings) -> None:
    """node1, ``images: offline``: the registry, and in it each stand-in under its Docker
    Hub name (``library/alpine:latest``), made an OCI archive on this host."""
    address = mirror_address(settings)
    registry.serve(platform, settings, address, why="the TP's images without Docker Hub")
    platforms.open_port(platform, settings.student.registry_port)
    manifest = read_manifest(list(settings.tp_images))
    files.directory(name=f"Create {UPLOAD_DIR}", path=UPLOAD_DIR, mode="700")
    for name, reference in settings.tp_images.items():
        where = hub_repository(reference)
        if where is None:
            logger.warning(f"{host.print_prefix}{reference}: not a Docker Hub name, which "
                           "the mirror cannot serve: not in the registry")
            continue
        entry = manifest[name]
        logger.info(f"{host.print_prefix}The {name} stand-in as an OCI archive, in {OCI_BUILD} "
                    "(made once, in seconds)")
        archive = oci_archive(OFFLINE_BUILD / entry["file"], entry["changes"], OCI_BUILD)
        registry.archive_in_registry(
            name=f"Serve the {name} stand-in as {reference} on {address}",
            archive=str(archive), upload=f"{UPLOAD_DIR}/{archive.name}", registry=address,
            repository=where[0], tag=where[1])


def mirror_for_docker(settings: Settings) -> None:
    """Both nodes, ``images: offline``: /etc/docker/daemon.json naming node1's registry as
    Docker Hub's mirror, written once (the student edits the file in the TP)."""
    daemon_json_started(name=f"{DAEMON_JSON}: Docker Hub through {mirror_address(settings)}",
                        content=mirror_json(mirror_address(settings)))


def readme(settings: Settings, package: str | None) -> str:
    """What ``student.files``/README.txt tells the student is there."""
    lines = ["TP 1.5 - what this lab gives you (profile student).", "",
             f"app/  the Python app the TP gives you ({', '.join(APP_FILES)})."]
    if settings.images == "offline":
        lines += ["      wheels/: its packages, since this lab reaches no PyPI:",
                  "      pip install --no-index --find-links wheels -r requirements.txt"]
    name = rkt_package_name(settings.distribution, settings.versions.rkt)
    if package:
        lines += [f"{package}  rkt's official package (the TP downloads it from GitHub):",
                  f"      sudo {'apt install' if package.endswith('.deb') else 'rpm -ivh'} "
                  f"{settings.student.files}/{package}"]
    elif settings.images == "offline":
        lines += [f"rkt's package ({name}) is not here: this lab reaches no GitHub and its "
                  "artifacts folder", "      has none. Ask your instructor for it (the "
                  "grading reports rkt's checks as SKIP until then)."]
    else:
        url = rkt_release_url(settings.distribution, settings.versions.rkt)
        lines += [f"rkt's package: download it as the TP says, {url}"]
    if settings.images == "offline":
        lines += ["", f"Docker Hub's images ({', '.join(settings.tp_images.values())}) come "
                  f"from node1's registry {mirror_address(settings)}:",
                  f"{DAEMON_JSON} names it in registry-mirrors: keep that line when you "
                  "edit the file.",
                  f"rkt does not read it: rkt --insecure-options=image,http run "
                  f"docker://{mirror_address(settings)}/library/alpine"]
    return "\n".join(lines) + "\n"


def hand_out_files(settings: Settings) -> None:
    """node1: the app the TP hands out, rkt's official package when the artifacts folder
    has it, and README.txt, in ``student.files``."""
    folder = settings.student.files
    files.directory(name=f"Create {folder}/app", path=f"{folder}/app", mode="755")
    for name in APP_FILES:
        files.put(name=f"The TP's app: {folder}/app/{name}", src=str(APP / name),
                  dest=f"{folder}/app/{name}", mode="644")
    if settings.images == "offline":
        files.sync(name=f"The app's wheels: {folder}/app/wheels", src=str(APP / "wheels"),
                   dest=f"{folder}/app/wheels", exclude=".gitignore")
    source = rkt_package(settings)
    package = None
    if source.kind == "file":
        package = Path(source.where).name
        files.put(name=f"rkt's package: {folder}/{package}", src=source.where,
                  dest=f"{folder}/{package}", mode="644")
    elif source.kind == "none":
        logger.warning(f"{host.print_prefix}rkt's package for the student: {source.where}")
    files.put(name=f"{folder}/README.txt: what is there",
              src=StringIO(readme(settings, package)),
              dest=f"{folder}/README.txt", mode="644")


def deploy(settings: Settings, platform: platforms.Platform) -> None:
    """What the TP takes as given, on this node."""
    if settings.images == "offline":
        if host.name == MAIN_NODE:
            serve_tp_images(platform, settings)
        mirror_for_docker(settings)
    if host.name == MAIN_NODE:
        hand_out_files(settings)
    # SELinux (CentOS): what was written, labelled as the policy labels that place
    platforms.restore_labels(platform, [os.path.dirname(DAEMON_JSON), settings.student.files])
