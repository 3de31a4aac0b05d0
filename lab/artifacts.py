"""What the lab brings from outside rather than from a package manager or a registry —
rkt's official release package (RKT-1), Portainer's image (GUI-1) — and where each
comes from: the artifacts folder (``artifacts`` / ``LAB_ARTIFACTS``), else its official
source, else none (an offline lab), ``where`` then saying which file to put where.
Provisioning installs from it; the acceptance suite reports a lab's missing artifact as
SKIP with that reason.

    >>> from lab.settings import load
    >>> rkt_package(load(environ={})).where
    'https://github.com/rkt/rkt/releases/download/v1.29.0/rkt-1.29.0-1.x86_64.rpm'
"""

from __future__ import annotations

from typing import NamedTuple

from lab.settings import MAIN_NODE, Settings

RKT_RELEASES = "https://github.com/rkt/rkt/releases/download"
# rkt's release packages, by the distribution they install on.
RKT_PACKAGES = {"centos-stream-9": "rkt-{version}-1.x86_64.rpm",
                "debian-12": "rkt_{version}-1_amd64.deb"}
PORTAINER_IMAGE = "portainer/portainer-ce"


class Source(NamedTuple):
    """``kind``: ``file`` (the artifacts folder's), ``url`` (a release page), ``hub``
    (Docker Hub), or ``none`` (``where`` says why and what to do)."""

    kind: str
    where: str
    pinned: str | None = None  # the sha256 lab.yml pins for it, if any


def _missing(settings: Settings, name: str) -> str:
    if settings.artifacts:
        return f"{name} is not in the artifacts folder {settings.artifacts}"
    return f"no artifacts folder is set (artifacts in lab.yml, or LAB_ARTIFACTS) to hold {name}"


# --- rkt -------------------------------------------------------------------------------

def rkt_package_name(distribution: str, version: str) -> str:
    """rkt's official release package's file name.

    >>> rkt_package_name("debian-12", "1.29.0"), rkt_package_name("centos-stream-9", "1.29.0")
    ('rkt_1.29.0-1_amd64.deb', 'rkt-1.29.0-1.x86_64.rpm')
    """
    return RKT_PACKAGES[distribution].format(version=version)


def rkt_release_url(distribution: str, version: str) -> str:
    """rkt's official package on its release page (GitHub)."""
    return f"{RKT_RELEASES}/v{version}/{rkt_package_name(distribution, version)}"


def rkt_package(settings: Settings) -> Source:
    """Where rkt's package comes from (RKT-1; the student lab hands it out too): the
    artifacts folder's official file, else rkt's release page, unless the lab is offline:
    then none, and ``where`` names the file, where to get it and where to put it."""
    name = rkt_package_name(settings.distribution, settings.versions.rkt)
    pinned = settings.rkt.rpm_sha256 if name.endswith(".rpm") else settings.rkt.deb_sha256
    url = rkt_release_url(settings.distribution, settings.versions.rkt)
    if settings.artifacts and (settings.artifacts / name).is_file():
        return Source("file", str(settings.artifacts / name), pinned)
    if settings.images == "offline":
        return Source("none", f"rkt's package is unavailable: {_missing(settings, name)}, and "
                      "with images: offline nothing is downloaded. Download it on a machine "
                      f"with internet ({url}), put it in the artifacts folder, then `vagrant "
                      f"provision {MAIN_NODE}`")
    return Source("url", url, pinned)


# --- Portainer -------------------------------------------------------------------------

def portainer_image(settings: Settings) -> str:
    """``portainer/portainer-ce:2.39.4`` (versions.portainer)."""
    return f"{PORTAINER_IMAGE}:{settings.versions.portainer}"


def portainer_tarball_name(version: str) -> str:
    """The ``docker save`` file the artifacts folder holds.

    >>> portainer_tarball_name("2.39.4")
    'portainer-ce-2.39.4.tar'
    """
    return f"portainer-ce-{version}.tar"


def portainer_save_command(version: str) -> str:
    """How to make the tarball on a machine that reaches Docker Hub.

    >>> print(portainer_save_command("2.39.4"))
    docker pull portainer/portainer-ce:2.39.4 &&
        docker save -o portainer-ce-2.39.4.tar portainer/portainer-ce:2.39.4
    """
    return (f"docker pull {PORTAINER_IMAGE}:{version} && "
            f"docker save -o {portainer_tarball_name(version)} {PORTAINER_IMAGE}:{version}")


def portainer_image_source(settings: Settings) -> Source:
    """The artifacts folder's tarball, else Docker Hub, else none (an offline lab)."""
    name = portainer_tarball_name(settings.versions.portainer)
    if settings.artifacts and (settings.artifacts / name).is_file():
        return Source("file", str(settings.artifacts / name))
    if settings.images == "hub":
        return Source("hub", portainer_image(settings))
    make = portainer_save_command(settings.versions.portainer)
    return Source("none", f"Portainer's image {portainer_image(settings)} is unavailable: "
                  f"{_missing(settings, name)}, and with images: offline nothing is pulled "
                  f"from Docker Hub. Make it on a machine with internet (`{make}`) and put it "
                  "in the artifacts folder")


def pairs_nodes(settings: Settings) -> bool:
    """Whether the lab has a step that needs both nodes up (provision/pair.py): Portainer,
    which manages node2, in the reference profile. Here, not in provision/, so that
    provision/run.py asks it without importing pyinfra.

    >>> from lab.settings import load
    >>> pairs_nodes(load(environ={})), pairs_nodes(load(environ={"LAB_PROFILE": "student"}))
    (True, False)
    """
    return settings.profile == "reference" and portainer_image_source(settings).kind != "none"
