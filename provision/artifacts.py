"""What the lab brings from outside rather than from a package manager or a registry —
rkt's release package (RKT-1), Portainer's image saved by ``docker save`` (GUI-1),
found by lab/artifacts.py — checked on the node against the sha256 lab.yml pins for it.

    sha256_checked(path="/var/cache/tp15/rkt_1.29.0-1_amd64.deb",
                   pinned=settings.rkt.deb_sha256, setting="rkt.deb_sha256")
"""

from __future__ import annotations

from pyinfra import host, logger
from pyinfra.api import OperationError, operation
from pyinfra.facts.files import Sha256File

CACHE = "/var/cache/tp15"  # where a node keeps what it was brought, before installing it


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
