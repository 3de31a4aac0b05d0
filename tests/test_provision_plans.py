"""What the provisioners would write and run, checked without a VM."""

import json

from lab.catalogue import load_catalogue
from lab.settings import load
from provision.daemon_config import main_daemon_json, tcp_daemon_json
from provision.security import HARDENED_OPTIONS


def test_daemon_json_holds_data_root_oom_score_and_the_hardening():
    settings = load(environ={})
    assert main_daemon_json(settings, settings.nodes["node2"]) == {
        "data-root": "/data", "oom-score-adjust": -800,
        "userns-remap": "default", "seccomp-profile": "/etc/docker/seccomp/default.json"}


def test_tcp_daemon_shares_nothing_with_the_main_one_but_its_hardening():
    settings = load(environ={})
    tcp, main = tcp_daemon_json(settings), main_daemon_json(settings, settings.nodes["node2"])
    assert tcp["userns-remap"] == main["userns-remap"] == "default"
    assert tcp["seccomp-profile"] == main["seccomp-profile"]
    assert tcp["hosts"][0] == "tcp://0.0.0.0:2376" and tcp["tlsverify"] is True
    assert tcp["data-root"] != main["data-root"]
    for key in ("exec-root", "pidfile", "containerd-namespace", "containerd-plugins-namespace"):
        assert key in tcp
    # its own bridge: with "bridge": "none" dockerd deletes docker0, the main daemon's
    assert tcp["bridge"] == "docker-tcp0" and tcp["iptables"] is False
    json.dumps(tcp)


def test_a_node_with_a_thinpool_disk_uses_devicemapper_direct_lvm():
    settings = load(environ={})
    config = main_daemon_json(settings, settings.nodes["node1"])
    assert config["storage-driver"] == "devicemapper"
    assert config["storage-opts"] == [
        "dm.thinpooldev=/dev/mapper/docker-thinpool", "dm.use_deferred_removal=true",
        "dm.use_deferred_deletion=true", f"dm.basesize={settings.security.dm_basesize}"]
    assert "storage-driver" not in main_daemon_json(settings, settings.nodes["node2"])


def test_the_sec_6_hint_shows_the_options_the_lab_runs_and_checks():
    hint = load_catalogue()["SEC-6"]
    assert f"`{HARDENED_OPTIONS}`" in hint.hint_en and f"`{HARDENED_OPTIONS}`" in hint.hint_fr
