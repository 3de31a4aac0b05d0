"""TP section "Docker basics — 4. Robust conf" (SEC-1 … SEC-6).

    activer l'utilisation des user namespaces par votre kernel
    utiliser le user namespace remapping du démon docker
    votre démon Docker doit utiliser la politique seccomp recommandée par le
    projet Moby
    suivre la doc officielle pour mettre en place l'utilisation d'une backend
    device-mapper en direct-lvm ("CONFIGURE DIRECT-LVM MODE MANUALLY")
    explorer les options de docker run et observer celles qui sont
    intéressantes côté sécu

SEC-2, SEC-3 and SEC-4 are daemon.json keys (daemon_config.py owns the file):
this section prepares what they name — the seccomp profile, the thin pool —
before the daemon's configuration is written. SEC-4 is on where the node has a
``thinpool`` disk (node1); SEC-5, the disk-fill test, is an acceptance test.
Features that need the host's namespaces (a container that drives the Docker
socket) run with ``--userns=host``.
"""

from io import StringIO

from pyinfra import host
from pyinfra.api import operation
from pyinfra.api.exceptions import OperationError
from pyinfra.operations import files, server

from lab.settings import Disk, Settings, seccomp_profile
from provision import engine
from provision import platform as platforms
from provision.daemon_config import SECCOMP_PROFILE
from provision.disks import (
    THIN_POOL,
    THIN_POOL_VG,
    LogicalVolume,
    VolumeGroup,
    lab_disk,
    refuse_used_disk,
)

LVM_PROFILE_NAME = "docker-thinpool"
LVM_PROFILE = f"/etc/lvm/profile/{LVM_PROFILE_NAME}.profile"
# Extend the pool by 20 % of its size when it is 80 % full (the documentation's values).
LVM_PROFILE_TEXT = """\
activation {
  thin_pool_autoextend_threshold=80
  thin_pool_autoextend_percent=20
}
"""

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


@operation()
def thin_pool(disk: Disk):
    """SEC-4, steps 1 to 6 of "Configure direct-lvm mode manually" on lab disk ``disk``:
    a PV, VG docker, LVs thinpool and thinpoolmeta, converted to a thin pool."""
    pool = host.get_fact(LogicalVolume, THIN_POOL)
    if pool and pool["segtype"] == "thin-pool":
        host.noop(f"{THIN_POOL} is a thin pool")
        return
    if host.get_fact(VolumeGroup, THIN_POOL_VG):
        raise OperationError(
            f"VG {THIN_POOL_VG} exists but has no thin pool {THIN_POOL}: an earlier run "
            "stopped half-way. Remove it (`vgremove -f docker` and `pvremove` its disk) and "
            "provision again.")
    device = lab_disk(disk)
    refuse_used_disk(disk, device, f"VG {THIN_POOL_VG} with the thin pool {THIN_POOL} for "
                     "Docker's devicemapper (SEC-4)")
    yield f"pvcreate {device}"
    yield f"vgcreate {THIN_POOL_VG} {device}"
    yield "lvcreate --wipesignatures y -n thinpool docker -l 95%VG"
    yield "lvcreate --wipesignatures y -n thinpoolmeta docker -l 1%VG"
    yield ("lvconvert -y --zero n -c 512K --thinpool docker/thinpool "
           "--poolmetadata docker/thinpoolmeta")


@operation()
def thin_pool_profile_applied():
    """SEC-4, step 8: ``lvchange --metadataprofile docker-thinpool docker/thinpool``."""
    if (host.get_fact(LogicalVolume, THIN_POOL) or {}).get("lv_profile") == LVM_PROFILE_NAME:
        host.noop(f"{THIN_POOL} has the profile {LVM_PROFILE_NAME}")
    else:
        yield f"lvchange --metadataprofile {LVM_PROFILE_NAME} {THIN_POOL}"


@operation()
def thin_pool_monitored():
    """SEC-4, step 9: ``lvchange --monitor y docker/thinpool`` (autoextend needs dmeventd
    to watch the pool)."""
    if (host.get_fact(LogicalVolume, THIN_POOL) or {}).get("seg_monitor") == "monitored":
        host.noop(f"{THIN_POOL} is monitored")
    else:
        yield f"lvchange --monitor y {THIN_POOL}"


def make_thin_pool(settings: Settings, platform: platforms.Platform) -> None:
    """SEC-4 — Docker's "Configure direct-lvm mode manually", steps 1 to 9, on the
    node's thinpool disk, with the autoextend profile applied and monitored."""
    platforms.install_packages(platform, list(platform.thin_pool_packages),
                               "Install LVM and the thin-pool tools (SEC-4)")
    disk = settings.nodes[host.name].disks["thinpool"]
    thin_pool(name=f"Make the thin pool {THIN_POOL} on the thinpool disk (SEC-4)", disk=disk)
    files.put(name=f"Write the autoextend profile {LVM_PROFILE} (SEC-4)",
              src=StringIO(LVM_PROFILE_TEXT), dest=LVM_PROFILE, mode="644")
    thin_pool_profile_applied(name=f"Apply the profile {LVM_PROFILE_NAME} to {THIN_POOL} (SEC-4)")
    thin_pool_monitored(name=f"Monitor {THIN_POOL} (SEC-4)")


def install_seccomp_profile(settings: Settings):
    """SEC-3 — Moby's ``profiles/seccomp/default.json`` of the pinned release
    (provision/seccomp/README.md), where daemon.json names it."""
    files.directory(name="Create /etc/docker/seccomp", path="/etc/docker/seccomp", mode="755")
    return files.put(
        name=f"Install Moby's seccomp profile {settings.versions.moby_seccomp} (SEC-3)",
        src=str(seccomp_profile(settings.versions.moby_seccomp)), dest=SECCOMP_PROFILE,
        mode="644")


def run_hardened_container(settings: Settings) -> None:
    """SEC-6 — ``docker run -d --read-only --cap-drop ALL --security-opt
    no-new-privileges --pids-limit 64 --memory 64m --user 1000:1000 alpine sleep 9999``."""
    engine.container(
        name="docker run -d … tp-hardened with docker run's security options (SEC-6)",
        container="tp-hardened",
        run=f"docker run -d --name tp-hardened --restart unless-stopped {HARDENED_OPTIONS} "
            f"{settings.tp_images['alpine']} sleep 9999")


def prepare_daemon(settings: Settings, platform: platforms.Platform) -> list:
    """What the daemons' configuration needs before it is written: SEC-1, SEC-3, and SEC-4
    on a node with a thin pool. Returns the operations after which the daemons restart."""
    enable_user_namespaces(settings)
    profile = install_seccomp_profile(settings)
    if settings.nodes[host.name].thin_pool:
        make_thin_pool(settings, platform)
    return [profile]


def deploy(settings: Settings) -> None:
    """The section's container, on the main Docker host (docker run's security options)."""
    run_hardened_container(settings)
