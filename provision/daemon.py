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
from pyinfra.facts.server import Command
from pyinfra.operations import files, server, systemd
from pyinfra.operations.util import any_changed

from lab.pki import Pki
from lab.settings import Settings
from provision import platform as platforms
from provision.disks import LogicalVolume, lab_disk

DAEMON_JSON = "/etc/docker/daemon.json"
# The data root's volume: VG "data", LV "docker" (SEC-4's thin pool has VG "docker").
DATA_VG, DATA_LV = "data", "docker"
# daemon.json keys that give Docker another image and container store.
STORE_KEYS = ("data-root", "userns-remap", "storage-driver", "storage-opts")
TLS_DIR = "/etc/docker/tls"
TCP_DAEMON_JSON = "/etc/docker/daemon-tcp.json"
TCP_UNIT = "/etc/systemd/system/docker-tcp.service"
# The TCP daemon's own bridge. Not "bridge": "none": a dockerd without a bridge
# deletes the interface docker0 at start, the main daemon's bridge.
TCP_BRIDGE, TCP_BRIDGE_ADDRESS = "docker-tcp0", "172.31.255.1/24"


def daemon_json(settings: Settings) -> dict:
    """The main daemon's /etc/docker/daemon.json (DCFG-3, DCFG-4).

        >>> daemon_json(settings)
        {'data-root': '/data', 'oom-score-adjust': -800}
    """
    return {
        "data-root": settings.daemon.data_root,
        "oom-score-adjust": settings.daemon.oom_score_adjust,
    }


def tcp_daemon_json(settings: Settings) -> dict:
    """docker-tcp.service's own config (DCFG-6): TCP with mutual TLS, and its own
    everything so it neither reads daemon.json nor touches the main daemon's
    bridge, iptables rules or containerd namespace."""
    return {
        "hosts": [f"tcp://0.0.0.0:{settings.daemon.tcp_port}", "unix:///run/docker-tcp.sock"],
        "tlsverify": True,
        "tlscacert": f"{TLS_DIR}/ca.pem",
        "tlscert": f"{TLS_DIR}/server-cert.pem",
        "tlskey": f"{TLS_DIR}/server-key.pem",
        "data-root": "/var/lib/docker-tcp",
        "exec-root": "/run/docker-tcp",
        "pidfile": "/run/docker-tcp.pid",
        "bridge": TCP_BRIDGE,
        "iptables": False,
        "ip-masq": False,
        "containerd-namespace": "docker-tcp",
        "containerd-plugins-namespace": "docker-tcp-plugins",
    }


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


def make_data_volume(settings: Settings, platform: platforms.Platform) -> None:
    """DCFG-3 — ``pvcreate``, ``vgcreate``, ``lvcreate``, ``mkfs`` on the node's data
    disk, mounted on /data (and in /etc/fstab), before Docker moves there."""
    platforms.install_packages(platform, list(platform.lvm_packages),
                               name="Install LVM (DCFG-3)")
    lv = f"/dev/{DATA_VG}/{DATA_LV}"
    if host.get_fact(LogicalVolume, f"{DATA_VG}/{DATA_LV}"):
        host.noop(f"{lv} exists")
    else:
        device = lab_disk(settings.nodes[host.name].disks["data"])
        server.shell(
            name=f"Make the LVM volume {lv} on {device} (DCFG-3)",
            commands=[
                f"pvcreate {device}",
                f"vgcreate {DATA_VG} {device}",
                f"lvcreate -l 100%FREE -n {DATA_LV} {DATA_VG}",
                f"mkfs.ext4 -q {lv}",
            ],
        )
    files.directory(name=f"Create {settings.daemon.data_root}", path=settings.daemon.data_root)
    files.line(name=f"Mount {lv} on {settings.daemon.data_root} at boot (DCFG-3)",
               path="/etc/fstab", line=f"^{lv} ",
               replace=f"{lv} {settings.daemon.data_root} ext4 defaults 0 2")
    server.mount(name=f"Mount {lv} on {settings.daemon.data_root} (DCFG-3)",
                 path=settings.daemon.data_root, device=lv, fs_type="ext4")
    platforms.label_as_docker_store(platform, settings.daemon.data_root)


def add_users_to_docker_group(settings: Settings) -> None:
    """DCFG-2 — the socket is ``root:docker`` 660 (docker.socket's default):
    ``usermod -aG docker vagrant`` lets the TP's user talk to the daemon."""
    server.group(name="Group docker (DCFG-2)", group="docker")
    for user in settings.daemon.users:
        server.user(name=f"Add {user} to group docker (DCFG-2)", user=user,
                    groups=["docker"], append=True)


def configure_daemon(settings: Settings, extra: dict, profile) -> bool:
    """DCFG-3, DCFG-4, DCFG-5 (and SEC-2, SEC-3: ``extra``) — /etc/docker/daemon.json,
    then restart docker; also when the seccomp ``profile`` operation changed it.

    Returns whether this run moves Docker's store (data root, userns remapping,
    storage driver), after which the images and containers seen now are gone.
    """
    wanted = {**daemon_json(settings), **extra}
    shown = host.get_fact(Command, f"cat {DAEMON_JSON} 2>/dev/null || true")
    try:
        current = json.loads(shown) if shown else {}
    except json.JSONDecodeError:
        current = {}
    config = files.put(name=f"Write {DAEMON_JSON} (DCFG-3 … DCFG-5, SEC-2 … SEC-4)",
                       src=_json_file(wanted), dest=DAEMON_JSON, mode="644")
    systemd.service(name="Restart docker.service for daemon.json and the seccomp profile",
                    service="docker.service", restarted=True,
                    _if=any_changed(config, profile))
    return store_moves(current, wanted)


def store_moves(current: dict, wanted: dict) -> bool:
    """Whether going from daemon.json ``current`` to ``wanted`` gives Docker another store.

        >>> store_moves({"data-root": "/data"}, {"data-root": "/data", "oom-score-adjust": -800})
        False
    """
    return any(current.get(key) != wanted.get(key) for key in STORE_KEYS)


def name_lab_nodes(settings: Settings) -> None:
    """The nodes reach each other by name (``docker -H tcp://node1:2376`` from node2)."""
    for node in settings.nodes.values():
        files.line(name=f"{node.name} in /etc/hosts", path="/etc/hosts",
                   line=rf"^{node.ip}\s", replace=f"{node.ip} {node.name}")


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


def start_tcp_daemon(settings: Settings, platform: platforms.Platform, pki: Pki) -> None:
    """DCFG-6 — ``docker-tcp.service``: a second dockerd on TCP 2376 with mutual TLS,
    enabled so that it survives a reboot."""
    tls = install_tls(settings, pki)
    config = files.put(name=f"Write {TCP_DAEMON_JSON} (DCFG-6)",
                       src=_json_file(tcp_daemon_json(settings)), dest=TCP_DAEMON_JSON,
                       mode="644")
    unit = files.put(name=f"Write {TCP_UNIT} (DCFG-6)", src=StringIO(TCP_UNIT_TEXT),
                     dest=TCP_UNIT, mode="644")
    platforms.open_port(platform, settings.daemon.tcp_port)
    systemd.daemon_reload(name="systemctl daemon-reload", _if=unit.did_change)
    systemd.service(name="Restart docker-tcp.service for its new files",
                    service="docker-tcp.service", restarted=True,
                    _if=any_changed(config, unit, *tls))
    systemd.service(name="Enable and start docker-tcp.service (DCFG-6)",
                    service="docker-tcp.service", running=True, enabled=True)
