"""The one owner of the Docker daemons' configuration files: every key of
/etc/docker/daemon.json and of docker-tcp.service's own file, whichever TP
section asks for it, with the requirement it serves.

    >>> from lab.settings import load
    >>> settings = load(environ={})
    >>> main_daemon_json(settings, settings.nodes["node2"])
    {'data-root': '/data', 'oom-score-adjust': -800, 'userns-remap': 'default',
     'seccomp-profile': '/etc/docker/seccomp/default.json'}

Both daemons get the TP's hardening (SEC-2, SEC-3): the TCP one is the daemon
the network reaches. Each has its own data root, exec root, pidfile, socket,
bridge and containerd namespace, so the two never share a store (DCFG-6).
"""

from __future__ import annotations

from lab.settings import Node, Settings
from provision.disks import THIN_POOL_DEVICE

TCP_DAEMON_JSON = "/etc/docker/daemon-tcp.json"
SECCOMP_PROFILE = "/etc/docker/seccomp/default.json"
TLS_DIR = "/etc/docker/tls"
# The TCP daemon's own bridge. Not "bridge": "none": a dockerd without a bridge
# deletes the interface docker0 at start, the main daemon's bridge.
TCP_BRIDGE, TCP_BRIDGE_ADDRESS = "docker-tcp0", "172.31.255.1/24"


def hardening() -> dict:
    """SEC-2 — root in a container is an unprivileged uid on the host (``userns-remap:
    default`` makes dockerd create the user ``dockremap`` and its subuid/subgid ranges);
    SEC-3 — Moby's seccomp profile, installed by the security section."""
    return {"userns-remap": "default", "seccomp-profile": SECCOMP_PROFILE}


def direct_lvm(settings: Settings) -> dict:
    """SEC-4 — devicemapper on the thin pool made as Docker's "Configure direct-lvm
    mode manually" says, each container's disk ``dm.basesize`` big (SEC-5)."""
    return {
        "storage-driver": "devicemapper",
        "storage-opts": [
            f"dm.thinpooldev={THIN_POOL_DEVICE}",
            "dm.use_deferred_removal=true",
            "dm.use_deferred_deletion=true",
            f"dm.basesize={settings.security.dm_basesize}",
        ],
    }


def main_daemon_json(settings: Settings, node: Node, hardened: bool = True) -> dict:
    """/etc/docker/daemon.json: DCFG-3 (data root), DCFG-4 (OOM score), and when
    ``hardened`` (4. Robust conf is applied too) SEC-2, SEC-3, and SEC-4 on a node with a
    thin pool.

    >>> from lab.settings import load
    >>> settings = load(environ={})
    >>> main_daemon_json(settings, settings.nodes["node1"], hardened=False)
    {'data-root': '/data', 'oom-score-adjust': -800}
    """
    config = {
        "data-root": settings.daemon.data_root,
        "oom-score-adjust": settings.daemon.oom_score_adjust,
    }
    if hardened:
        config.update(hardening())
    if hardened and node.thin_pool:
        config.update(direct_lvm(settings))
    return config


def merged(found: dict, owned: dict) -> dict:
    """A daemon.json the student already has (``found``) with the keys the solved sections
    own set to theirs: ``lab.student solve`` leaves every other key alone (the offline
    lab's registry mirror, a later section's settings).

    >>> merged({"registry-mirrors": ["http://m"], "data-root": "/d"}, {"data-root": "/data"})
    {'registry-mirrors': ['http://m'], 'data-root': '/data'}
    """
    return {**found, **owned}


def tcp_daemon_json(settings: Settings, hardened: bool = True) -> dict:
    """docker-tcp.service's own config (DCFG-6): TCP with mutual TLS, and its own
    everything, so it neither reads daemon.json nor touches the main daemon's
    bridge, iptables rules or containerd namespace; hardened like the main one."""
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
        **(hardening() if hardened else {}),
    }
