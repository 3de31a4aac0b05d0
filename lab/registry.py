"""Where the lab's images are served from a registry: Docker Hub's names, the offline
student lab's mirror on node1, and the alpine rkt fetches (provision/registry.py runs
those registries; the acceptance suite runs rkt against the same one).

    >>> from lab.settings import load
    >>> rkt_alpine(load(environ={}))
    'docker://127.0.0.1:5050/alpine:latest'
"""

from __future__ import annotations

from lab.settings import MAIN_NODE, Settings

# The TP's --insecure-options=image (Docker images carry no signature rkt checks), and
# http for the lab's plain-HTTP registry.
RKT_INSECURE = "image,http"


def hub_repository(reference: str) -> tuple[str, str] | None:
    """Where Docker Hub (and a mirror of it) keeps ``reference``: (repository, tag), or
    None for an image of another registry.

        >>> hub_repository("alpine:latest"), hub_repository("bitnami/redis:7")
        (('library/alpine', 'latest'), ('bitnami/redis', '7'))
        >>> hub_repository("registry.example/redis:7") is None
        True
    """
    name, _, tag = reference.rpartition(":")
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return None
    return (name if rest else f"library/{name}"), tag


def mirror_address(settings: Settings) -> str:
    """The registry on node1 the nodes pull Docker Hub's names through: '192.168.56.11:5050'."""
    return f"{settings.nodes[MAIN_NODE].ip}:{settings.student.registry_port}"


def rkt_repository(settings: Settings) -> str:
    """The lab's alpine as the registry for rkt names it, e.g. 'alpine:latest'."""
    return settings.tp_images["alpine"].split("/")[-1]


def rkt_alpine(settings: Settings) -> str:
    """What ``rkt run`` fetches: the lab's alpine from the registry on the node, whatever
    ``images`` says (rkt 1.29 cannot read the image indexes Docker Hub serves); on an
    offline student lab, from the registry the lab gives the student."""
    if settings.profile == "student" and settings.images == "offline":
        repository, tag = hub_repository(settings.tp_images["alpine"])
        return f"docker://{mirror_address(settings)}/{repository}:{tag}"
    return f"docker://{settings.rkt.registry}/{rkt_repository(settings)}"
