"""TP section "Low level containerization — 1. avec runc".

    installer : runc (juste un paquet), docker (suivez la doc officielle)
    démarrez le service systemd docker.service avec le binaire systemctl
    docker info … le runtime utilisé (runc)

Requirements: RUNC-1, RUNC-2, RUNC-3 (docker info shows the default runtime
once Docker runs; nothing to configure for it).
"""

from pyinfra.operations import systemd

from lab.settings import Settings
from provision import platform as platforms


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


def deploy(platform: platforms.Platform, settings: Settings) -> None:
    """The section's steps in the TP's order."""
    install_runc(platform, settings)
    install_docker(platform, settings)
    platforms.hold_docker_packages(platform, settings)
    start_docker()
