"""TP section "Docker basics — 4. Robust conf" (SEC-1 … SEC-6).

    activer l'utilisation des user namespaces par votre kernel
    utiliser le user namespace remapping du démon docker
    votre démon Docker doit utiliser la politique seccomp recommandée par le
    projet Moby
    suivre la doc officielle pour mettre en place l'utilisation d'une backend
    device-mapper en direct-lvm ("CONFIGURE DIRECT-LVM MODE MANUALLY")
    explorer les options de docker run et observer celles qui sont
    intéressantes côté sécu

SEC-2, SEC-3 and SEC-4 are daemon.json keys: ``daemon.configure_daemon`` writes
them with the rest of the file. SEC-4 is on where the node has a ``thinpool``
disk (node1); SEC-5, the disk-fill test, is an acceptance test. Features that
need the host's namespaces (a container that drives the Docker socket) run with
``--userns=host``.
"""

from io import StringIO

from pyinfra import host
from pyinfra.api.exceptions import DeployError
from pyinfra.operations import files, server

from lab.settings import Node, Settings, seccomp_profile
from provision import platform as platforms
from provision.disks import LogicalVolume, VolumeGroup, lab_disk
from provision.operations import run_container

SECCOMP_PROFILE = "/etc/docker/seccomp/default.json"

# SEC-4: the names Docker's "Configure direct-lvm mode manually" uses.
THIN_POOL_VG, THIN_POOL = "docker", "docker/thinpool"
THIN_POOL_DEVICE = "/dev/mapper/docker-thinpool"
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


def uses_thin_pool(node: Node) -> bool:
    """SEC-4 is on for the nodes that have a ``thinpool`` disk in lab.yml."""
    return "thinpool" in node.disks


def daemon_json(settings: Settings, node: Node) -> dict:
    """SEC-2, SEC-3, SEC-4 — this section's keys of /etc/docker/daemon.json.

    ``userns-remap: default`` makes dockerd create the user ``dockremap`` and its
    ranges in /etc/subuid and /etc/subgid; root in a container is then an
    unprivileged uid on the host.

        >>> daemon_json(settings, settings.nodes["node1"])["storage-opts"]
        ['dm.thinpooldev=/dev/mapper/docker-thinpool', 'dm.use_deferred_removal=true',
         'dm.use_deferred_deletion=true', 'dm.basesize=1G']
    """
    config = {"userns-remap": "default", "seccomp-profile": SECCOMP_PROFILE}
    if uses_thin_pool(node):
        config["storage-driver"] = "devicemapper"
        config["storage-opts"] = [
            f"dm.thinpooldev={THIN_POOL_DEVICE}",
            "dm.use_deferred_removal=true",
            "dm.use_deferred_deletion=true",
            f"dm.basesize={settings.security.dm_basesize}",
        ]
    return config


def make_thin_pool(settings: Settings, platform: platforms.Platform) -> None:
    """SEC-4 — Docker's "Configure direct-lvm mode manually", steps 1 to 9, on the
    node's thinpool disk: a PV, VG docker, LVs thinpool and thinpoolmeta, converted
    to a thin pool, with the autoextend profile applied and monitored."""
    platforms.install_packages(platform, list(platform.thin_pool_packages),
                               "Install LVM and the thin-pool tools (SEC-4)")
    pool = host.get_fact(LogicalVolume, THIN_POOL) or {}
    if pool.get("segtype") == "thin-pool":
        host.noop(f"{THIN_POOL} is a thin pool")
    else:
        if host.get_fact(VolumeGroup, THIN_POOL_VG):
            raise DeployError(
                f"{host.name}: VG {THIN_POOL_VG} exists but has no thin pool {THIN_POOL}: an "
                "earlier run stopped half-way. Remove it (`vgremove -f docker` and "
                "`pvremove` its disk) and provision again."
            )
        device = lab_disk(settings.nodes[host.name].disks["thinpool"])
        server.shell(
            name=f"Make the thin pool {THIN_POOL} on {device} (SEC-4)",
            commands=[
                f"pvcreate {device}",
                f"vgcreate {THIN_POOL_VG} {device}",
                "lvcreate --wipesignatures y -n thinpool docker -l 95%VG",
                "lvcreate --wipesignatures y -n thinpoolmeta docker -l 1%VG",
                "lvconvert -y --zero n -c 512K --thinpool docker/thinpool "
                "--poolmetadata docker/thinpoolmeta",
            ],
        )
    files.put(name=f"Write the autoextend profile {LVM_PROFILE} (SEC-4)",
              src=StringIO(LVM_PROFILE_TEXT), dest=LVM_PROFILE, mode="644")
    if pool.get("lv_profile") != LVM_PROFILE_NAME:
        server.shell(name=f"Apply the profile {LVM_PROFILE_NAME} to {THIN_POOL} (SEC-4)",
                     commands=[f"lvchange --metadataprofile {LVM_PROFILE_NAME} {THIN_POOL}"])
    if pool.get("seg_monitor") != "monitored":
        server.shell(name=f"Monitor {THIN_POOL} (SEC-4)",
                     commands=[f"lvchange --monitor y {THIN_POOL}"])


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
