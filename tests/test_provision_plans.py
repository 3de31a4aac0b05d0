"""What the provisioners would write and run, checked without a VM."""

import json

from lab.settings import load
from provision import security
from provision.daemon import daemon_json, store_moves, tcp_daemon_json
from provision.images import import_command


def test_daemon_json_holds_data_root_and_oom_score():
    settings = load(environ={})
    assert daemon_json(settings) == {"data-root": "/data", "oom-score-adjust": -800}


def test_tcp_daemon_shares_nothing_with_the_main_one():
    settings = load(environ={})
    tcp, main = tcp_daemon_json(settings), daemon_json(settings)
    assert tcp["hosts"][0] == "tcp://0.0.0.0:2376" and tcp["tlsverify"] is True
    assert tcp["data-root"] != main["data-root"]
    for key in ("exec-root", "pidfile", "containerd-namespace", "containerd-plugins-namespace"):
        assert key in tcp
    # its own bridge: with "bridge": "none" dockerd deletes docker0, the main daemon's
    assert tcp["bridge"] == "docker-tcp0" and tcp["iptables"] is False
    json.dumps(tcp)


def test_import_command_sets_the_image_config_and_the_rootfs_label():
    command = import_command("nginx:latest", "/var/cache/x/nginx.tar",
                             ['CMD ["nginx", "-g", "daemon off;"]', "EXPOSE 80"], "ab12")
    assert command == (
        "docker import --change 'CMD [\"nginx\", \"-g\", \"daemon off;\"]' --change 'EXPOSE 80' "
        "--change 'LABEL org.tp15.rootfs-sha256=ab12' /var/cache/x/nginx.tar nginx:latest "
        "&& rm -f /var/cache/x/nginx.tar "
        "&& docker image prune -f --filter label=org.tp15.rootfs-sha256"
    )


def test_security_keys_remap_users_and_name_mobys_profile():
    settings = load(environ={})
    assert security.daemon_json(settings, settings.nodes["node2"]) == {
        "userns-remap": "default", "seccomp-profile": "/etc/docker/seccomp/default.json"}


def test_a_node_with_a_thinpool_disk_uses_devicemapper_direct_lvm():
    settings = load(environ={})
    config = security.daemon_json(settings, settings.nodes["node1"])
    assert config["storage-driver"] == "devicemapper"
    assert config["storage-opts"] == [
        "dm.thinpooldev=/dev/mapper/docker-thinpool", "dm.use_deferred_removal=true",
        "dm.use_deferred_deletion=true", f"dm.basesize={settings.security.dm_basesize}"]


def test_the_store_moves_with_data_root_userns_or_storage_driver_only():
    base = {"data-root": "/data", "oom-score-adjust": -800}
    assert not store_moves(base, {**base, "oom-score-adjust": -900})
    assert store_moves({}, base)
    assert store_moves(base, {**base, "userns-remap": "default"})
    assert store_moves(base, {**base, "storage-driver": "devicemapper"})
