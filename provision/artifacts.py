"""What the lab brings from outside rather than from a package manager or a registry —
rkt's release package (RKT-1), Portainer's image saved by ``docker save`` (GUI-1) —
checked against the sha256 lab.yml pins for it.

    sha256_checked(path="/var/cache/tp15/rkt_1.29.0-1_amd64.deb",
                   pinned=settings.rkt.deb_sha256, setting="rkt.deb_sha256")
"""

from __future__ import annotations

from typing import NamedTuple

from pyinfra import host, logger
from pyinfra.api import OperationError, operation
from pyinfra.facts.files import Sha256File

from lab.settings import MAIN_NODE, Settings
from provision import platform as platforms

CACHE = "/var/cache/tp15"  # where a node keeps what it was brought, before installing it
RKT_RELEASES = "https://github.com/rkt/rkt/releases/download"


class PackageSource(NamedTuple):
    """``kind`` is ``file`` (the artifacts folder's, a path on this host), ``url`` (rkt's
    release page), or ``none`` (``where`` says what to do)."""

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


def rkt_release_url(platform: platforms.Platform, version: str) -> str:
    """rkt's official package on its release page (GitHub)."""
    return f"{RKT_RELEASES}/v{version}/{rkt_package_name(platform, version)}"


def rkt_package_source(platform: platforms.Platform, settings: Settings) -> PackageSource:
    """Where rkt's package comes from (RKT-1; the student lab hands it out too): the
    artifacts folder's official file, else rkt's release page, unless the lab is offline:
    then none, and ``where`` names the file, where to get it and where to put it."""
    name = rkt_package_name(platform, settings.versions.rkt)
    pinned = settings.rkt.rpm_sha256 if name.endswith(".rpm") else settings.rkt.deb_sha256
    url = rkt_release_url(platform, settings.versions.rkt)
    if settings.artifacts and (settings.artifacts / name).is_file():
        return PackageSource("file", str(settings.artifacts / name), pinned)
    if settings.images == "offline":
        missing = (f"{name} is not in the artifacts folder {settings.artifacts}"
                   if settings.artifacts else f"no artifacts folder is set (artifacts in "
                   f"lab.yml, or LAB_ARTIFACTS) to hold {name}")
        return PackageSource("none", f"rkt's package is unavailable: {missing}, and with "
                             "images: offline nothing is downloaded. Download it on a machine "
                             f"with internet ({url}), put it in the artifacts folder, then "
                             f"`vagrant provision {MAIN_NODE}`", None)
    return PackageSource("url", url, pinned)


@operation()
def sha256_checked(path: str, pinned: str | None, setting: str):
    """The node's file ``path`` has the sha256 lab.yml pins (``setting``); without a pin,
    says its value, to pin it."""
    found = host.get_fact(Sha256File, path)
    if pinned and found != pinned:
        raise OperationError(f"{path} has sha256 {found}, not the {pinned} lab.yml pins "
                             f"({setting}): remove it and download it again, or fix the pin")
    said = f"{path}: sha256 {found}" + (" as pinned" if pinned else
                                         f" (not pinned: set {setting} to pin it)")
    logger.info(f"{host.print_prefix}{said}")  # shown without -v, unlike a noop
    host.noop(said)
    yield from ()  # a check: it runs no command
