"""TP section "Docker basics — 4. Robust conf" (SEC-*), so far SEC-1, SEC-2, SEC-3
and SEC-6.

    activer l'utilisation des user namespaces par votre kernel
    utiliser le user namespace remapping du démon docker
    votre démon Docker doit utiliser la politique seccomp recommandée par le
    projet Moby
    explorer les options de docker run et observer celles qui sont
    intéressantes côté sécu

SEC-2 and SEC-3 are daemon.json keys: ``daemon.configure_daemon`` writes them
with the rest of the file. Features that need the host's namespaces (a
container that drives the Docker socket) run with ``--userns=host``.
"""

from pyinfra.operations import files, server

from lab.settings import Settings, seccomp_profile
from provision.operations import run_container

SECCOMP_PROFILE = "/etc/docker/seccomp/default.json"

# SEC-6: the docker run options that matter for security, as a student types them.
HARDENED_OPTIONS = (
    "--read-only --cap-drop ALL --security-opt no-new-privileges "
    "--pids-limit 64 --memory 64m --user 1000:1000"
)


def enable_user_namespaces(settings: Settings) -> None:
    """SEC-1 — ``sysctl -w user.max_user_namespaces=15000``, kept in
    /etc/sysctl.d (CentOS 7 also needed ``user_namespace.enable=1`` on the kernel
    command line; CentOS Stream 9 and Debian 12 have them built in)."""
    server.sysctl(name="Enable user namespaces (SEC-1)", key="user.max_user_namespaces",
                  value=settings.security.max_user_namespaces, persist=True,
                  persist_file="/etc/sysctl.d/90-tp15-userns.conf")


def daemon_json(settings: Settings) -> dict:
    """SEC-2, SEC-3 — this section's keys of /etc/docker/daemon.json.

    ``userns-remap: default`` makes dockerd create the user ``dockremap`` and its
    ranges in /etc/subuid and /etc/subgid; root in a container is then an
    unprivileged uid on the host.
    """
    return {"userns-remap": "default", "seccomp-profile": SECCOMP_PROFILE}


def install_seccomp_profile(settings: Settings):
    """SEC-3 — Moby's ``profiles/seccomp/default.json`` of the pinned release
    (provision/seccomp/README.md), where daemon.json names it."""
    files.directory(name="Create /etc/docker/seccomp", path="/etc/docker/seccomp", mode="755")
    return files.put(
        name=f"Install Moby's seccomp profile {settings.versions.moby_seccomp} (SEC-3)",
        src=str(seccomp_profile(settings.versions.moby_seccomp)), dest=SECCOMP_PROFILE,
        mode="644")


def run_hardened_container(settings: Settings, store_moved: bool) -> None:
    """SEC-6 — ``docker run -d --read-only --cap-drop ALL --security-opt
    no-new-privileges --pids-limit 64 --memory 64m --user 1000:1000 alpine sleep 9999``."""
    run_container("tp-hardened", f"docker run -d --name tp-hardened --restart unless-stopped "
                  f"{HARDENED_OPTIONS} {settings.tp_images['alpine']} sleep 9999", "SEC-6",
                  store_moved)
