"""What the lab brings from outside rather than from a package manager or a registry —
rkt's release package (RKT-1), Portainer's image saved by ``docker save`` (GUI-1) —
checked against the sha256 lab.yml pins for it.

    sha256_checked(path="/var/cache/tp15/rkt_1.29.0-1_amd64.deb",
                   pinned=settings.rkt.deb_sha256, setting="rkt.deb_sha256")
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from pyinfra import host, logger
from pyinfra.api import OperationError, operation
from pyinfra.facts.files import Sha256File

from lab.settings import REPO, Settings
from provision import platform as platforms

CACHE = "/var/cache/tp15"  # where a node keeps what it was brought, before installing it
RKT_RELEASES = "https://github.com/rkt/rkt/releases/download"
RKT_BUILT = REPO / "rkt" / ".build"  # rkt/build-package's output


class PackageSource(NamedTuple):
    """``kind`` is ``file`` (a path on this host), ``built`` (one rkt/build-package made
    here), ``url``, or ``none`` (``where`` says why)."""

    kind: str
    where: str
    pinned: str | None  # the sha256 lab.yml pins for it, if any


def rkt_package_name(platform: platforms.Platform, version: str) -> str:
    """rkt's official release package's file name.

    >>> rkt_package_name(platforms.PLATFORMS["debian-12"], "1.29.0")
    'rkt_1.29.0-1_amd64.deb'
    >>> rkt_package_name(platforms.PLATFORMS["centos-stream-9"], "1.29.0")
    'rkt-1.29.0-1.x86_64.rpm'
    """
    if platform.package_manager == "apt":
        return f"rkt_{version}-1_amd64.deb"
    return f"rkt-{version}-1.x86_64.rpm"


def rkt_package_source(platform: platforms.Platform, settings: Settings,
                   built: Path = RKT_BUILT) -> PackageSource:
    """Where rkt's package comes from (RKT-1; the student lab hands it out too): the
    artifacts folder's, else the one rkt/build-package built here, else the release page
    (unless the lab is offline: then none, saying what to do)."""
    name = rkt_package_name(platform, settings.versions.rkt)
    pinned = settings.rkt.rpm_sha256 if name.endswith(".rpm") else settings.rkt.deb_sha256
    if settings.artifacts and (settings.artifacts / name).is_file():
        return PackageSource("file", str(settings.artifacts / name), pinned)
    if (built / name).is_file():
        return PackageSource("built", str(built / name), None)  # no official sha256
    if settings.images == "offline":
        folder = f"the artifacts folder {settings.artifacts}" if settings.artifacts else \
            "no artifacts folder (artifacts / LAB_ARTIFACTS)"
        return PackageSource("none", f"no {name}: {folder}, none built in {built} "
                             "(run rkt/build-package), and an offline lab downloads nothing",
                             None)
    return PackageSource("url", f"{RKT_RELEASES}/v{settings.versions.rkt}/{name}", pinned)


@operation()
def sha256_checked(path: str, pinned: str | None, setting: str | None):
    """The node's file ``path`` has the sha256 lab.yml pins (``setting``); without a pin,
    says its value, to pin it (``setting`` None: built on this host, nothing to pin)."""
    found = host.get_fact(Sha256File, path)
    if pinned and found != pinned:
        raise OperationError(f"{path} has sha256 {found}, not the {pinned} lab.yml pins "
                             f"({setting}): remove it and download it again, or fix the pin")
    said = f"{path}: sha256 {found}" + (
        " as pinned" if pinned else f" (not pinned: set {setting} to pin it)" if setting
        else " (built on this host: no official sha256 to pin)")
    logger.info(f"{host.print_prefix}{said}")  # shown without -v, unlike a noop
    host.noop(said)
    yield from ()  # a check: it runs no command
