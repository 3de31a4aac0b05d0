"""TP section "Docker basics — 1. Basic configuration" (DCFG-2 … DCFG-6).

    changer le répertoire de travail de docker … un répertoire /data …
    montez une partition LVM à cet endroit
    changer le OOM score du démon
    créer une autre unité systemd docker-tcp.service … accessible à travers
    un socket TCP

The main daemon is configured only through /etc/docker/daemon.json (DCFG-5);
the second daemon has its own config file, so the two never share a data root,
exec root, pidfile, socket, bridge or containerd namespace.
"""

import json
from io import StringIO

from pyinfra import host
from pyinfra.api import operation
from pyinfra.facts.files import FileContents
from pyinfra.operations import files, server, systemd
from pyinfra.operations.util import any_changed

from lab.pki import Pki
from lab.settings import DAEMON_JSON, Disk, Settings
from provision import platform as platforms
from provision.daemon_config import (
    TCP_BRIDGE,
    TCP_BRIDGE_ADDRESS,
    TCP_DAEMON_JSON,
    TLS_DIR,
    main_daemon_json,
    merged,
    tcp_daemon_json,
)
from provision.disks import DATA_LV, DATA_VG, LogicalVolume, lab_disk, refuse_used_disk

TCP_UNIT = "/etc/systemd/system/docker-tcp.service"


TCP_UNIT_TEXT = f"""\
# TP 1.5, DCFG-6: a second, independent Docker daemon on TCP with mutual TLS.
[Unit]
Description=Docker Application Container Engine (TCP, mutual TLS)
After=network-online.target containerd.service
Wants=network-online.target containerd.service

[Service]
Type=notify
ExecStartPre=-ip link add {TCP_BRIDGE} type bridge
ExecStartPre=ip addr replace {TCP_BRIDGE_ADDRESS} dev {TCP_BRIDGE}
ExecStartPre=ip link set {TCP_BRIDGE} up
ExecStart=dockerd --config-file {TCP_DAEMON_JSON}
Restart=on-failure
LimitNOFILE=infinity
Delegate=yes
KillMode=process

[Install]
WantedBy=multi-user.target
"""


def _json_file(config: dict) -> StringIO:
    return StringIO(json.dumps(config, indent=2) + "\n")


DATA_LV_PATH = f"/dev/{DATA_VG}/{DATA_LV}"


@operation()
def data_volume(disk: Disk):
    """DCFG-3 — ``pvcreate``, ``vgcreate``, ``lvcreate``, ``mkfs.ext4`` on lab disk
    ``disk``, once."""
    if host.get_fact(LogicalVolume, f"{DATA_VG}/{DATA_LV}"):
        host.noop(f"{DATA_LV_PATH} exists")
        return
    device = lab_disk(disk)
    refuse_used_disk(disk, device, f"VG {DATA_VG} with LV {DATA_LV} for /data (DCFG-3)")
    yield f"pvcreate {device}"
    yield f"vgcreate {DATA_VG} {device}"
    yield f"lvcreate -l 100%FREE -n {DATA_LV} {DATA_VG}"
    yield f"mkfs.ext4 -q {DATA_LV_PATH}"


def make_data_volume(settings: Settings, platform: platforms.Platform) -> None:
    """DCFG-3 — /data on its own LVM volume, made on the node's data disk and mounted
    (and in /etc/fstab), before Docker moves there."""
    root = settings.daemon.data_root
    platforms.install_packages(platform, list(platform.lvm_packages),
                               name="Install LVM (DCFG-3)")
    data_volume(name=f"Make the LVM volume {DATA_LV_PATH} on the data disk (DCFG-3)",
                disk=settings.nodes[host.name].disks["data"])
    files.directory(name=f"Create {root}", path=root)
    files.line(name=f"Mount {DATA_LV_PATH} on {root} at boot (DCFG-3)", path="/etc/fstab",
               line=f"^{DATA_LV_PATH} ", replace=f"{DATA_LV_PATH} {root} ext4 defaults 0 2")
    server.mount(name=f"Mount {DATA_LV_PATH} on {root} (DCFG-3)", path=root,
                 device=DATA_LV_PATH, fs_type="ext4")
    platforms.label_as_docker_store(platform, root)


def add_users_to_docker_group(settings: Settings) -> None:
    """DCFG-2 — the socket is ``root:docker`` 660 (docker.socket's default):
    ``usermod -aG docker vagrant`` lets the TP's user talk to the daemon."""
    server.group(name="Group docker (DCFG-2)", group="docker")
    for user in settings.daemon.users:
        server.user(name=f"Add {user} to group docker (DCFG-2)", user=user,
                    groups=["docker"], append=True)


def student_daemon_json() -> dict:
    """The node's /etc/docker/daemon.json as the student left it ({} when there is none
    or it is not JSON: then the solved sections' keys replace it)."""
    lines = host.get_fact(FileContents, DAEMON_JSON)
    try:
        found = json.loads("\n".join(lines or []) or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def configure_daemon(settings: Settings, after: list, hardened: bool = True,
                     solving: bool = False) -> None:
    """DCFG-3, DCFG-4, DCFG-5 (with SEC-2 … SEC-4's keys when ``hardened``,
    daemon_config.py) — /etc/docker/daemon.json, then ``systemctl restart docker`` when it
    changed, or when one of the operations ``after`` did (the seccomp profile it names).
    ``solving`` (``lab.student solve``): over the student's own file, keeping its other
    keys."""
    config = main_daemon_json(settings, settings.nodes[host.name], hardened)
    if solving:
        config = merged(student_daemon_json(), config)
    config = files.put(name=f"Write {DAEMON_JSON} (DCFG-3 … DCFG-5"
                       f"{', SEC-2 … SEC-4' if hardened else ''})",
                       src=_json_file(config), dest=DAEMON_JSON, mode="644")
    systemd.service(name=f"systemctl restart docker, for {DAEMON_JSON} and what it names",
                    service="docker.service", restarted=True, _if=any_changed(config, *after))


def install_tls(settings: Settings, pki: Pki) -> list:
    """DCFG-6 — the server side of the lab's PKI in /etc/docker/tls, the client side
    in ~/.docker of the TP's users (``docker --tlsverify`` finds it there).
    Returns the operations that install the server side."""
    cert, key = pki.server(host.name)
    files.directory(name=f"Create {TLS_DIR}", path=TLS_DIR, mode="700")
    server_side = [
        files.put(name=f"Install {TLS_DIR}/{dest} (DCFG-6)", src=str(src),
                  dest=f"{TLS_DIR}/{dest}", mode=mode)
        for src, dest, mode in ((pki.ca, "ca.pem", "644"), (cert, "server-cert.pem", "644"),
                                (key, "server-key.pem", "600"))
    ]
    for user in settings.daemon.users:
        home = f"/home/{user}/.docker"
        files.directory(name=f"Create {home}", path=home, user=user, group=user, mode="700")
        for src, dest, mode in ((pki.ca, "ca.pem", "644"), (pki.client_cert, "cert.pem", "644"),
                                (pki.client_key, "key.pem", "600")):
            files.put(name=f"Install the lab's client certificate {home}/{dest} (DCFG-6)",
                      src=str(src), dest=f"{home}/{dest}", user=user, group=user, mode=mode)
    return server_side


def start_tcp_daemon(settings: Settings, platform: platforms.Platform, pki: Pki,
                     after: list, hardened: bool = True) -> None:
    """DCFG-6 — ``docker-tcp.service``: a second dockerd on TCP 2376 with mutual TLS,
    enabled so that it survives a reboot; restarted when its files change, or one of
    the operations ``after`` did (the seccomp profile it names)."""
    tls = install_tls(settings, pki)
    config = files.put(name=f"Write {TCP_DAEMON_JSON} (DCFG-6)",
                       src=_json_file(tcp_daemon_json(settings, hardened)),
                       dest=TCP_DAEMON_JSON,
                       mode="644")
    unit = files.put(name=f"Write {TCP_UNIT} (DCFG-6)", src=StringIO(TCP_UNIT_TEXT),
                     dest=TCP_UNIT, mode="644")
    platforms.open_port(platform, settings.daemon.tcp_port, "DCFG-6")
    systemd.daemon_reload(name="systemctl daemon-reload", _if=unit.did_change)
    systemd.service(name="Restart docker-tcp.service for its new files",
                    service="docker-tcp.service", restarted=True,
                    _if=any_changed(config, unit, *tls, *after))
    systemd.service(name="Enable and start docker-tcp.service (DCFG-6)",
                    service="docker-tcp.service", running=True, enabled=True)


def deploy(settings: Settings, platform: platforms.Platform, pki: Pki, after: list,
           hardened: bool = True, solving: bool = False) -> None:
    """The section's steps in the TP's order. ``after``: the operations of the robust
    configuration (SEC-3's profile) that both daemons' configurations name, when
    ``hardened`` (4. Robust conf is applied too); ``solving``: over a student's work."""
    add_users_to_docker_group(settings)
    make_data_volume(settings, platform)
    configure_daemon(settings, after, hardened, solving)
    start_tcp_daemon(settings, platform, pki, after, hardened)
