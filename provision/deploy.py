"""The lab's pyinfra deploy: every TP section, in the TP's order, on each node.

Run by ``vagrant up`` / ``vagrant provision`` for one node, or by hand:

    pyinfra --chdir . provision/inventory.py provision/deploy.py --limit node1
    pyinfra --chdir . provision/inventory.py provision/deploy.py --dry   # what would change

/etc/docker/daemon.json is one file for the TP's sections "Basic configuration"
and "Robust conf": it is written once, with both sections' keys.
"""

import os

from pyinfra import host

from lab.pki import ensure_pki
from lab.settings import MAIN_NODE, PKI_DIR, load
from provision import api, compose, daemon, images, operations, platform, runc, security

settings = load()
pki = ensure_pki(PKI_DIR, {node.name: node.ip for node in settings.nodes.values()})
this = platform.current()
main_node = host.name == MAIN_NODE

# Low level containerization — runc
runc.deploy(this, settings)

# Docker basics — 1. Basic configuration, with 4. Robust conf's daemon settings
daemon.add_users_to_docker_group(settings)
daemon.make_data_volume(settings, this)
security.enable_user_namespaces(settings)
profile = security.install_seccomp_profile(settings)
node = settings.nodes[host.name]
if security.uses_thin_pool(node):
    security.make_thin_pool(settings, this)
store_moved = daemon.configure_daemon(settings, security.daemon_json(settings, node), profile)
daemon.name_lab_nodes(settings)
daemon.start_tcp_daemon(settings, this, pki)

# The TP's images, in the store the daemon now uses
images.deploy(settings, store_moved)

if main_node:
    # Docker basics — 2. Basic operations, 3. HTTP API
    operations.deploy(settings, store_moved)
    api.install_curl(this)
    # Docker basics — 4. Robust conf: docker run's security options
    security.run_hardened_container(settings, store_moved)
    # 5. Compose: the course's app behind NGINX, with Redis (app/)
    compose.deploy(settings, this, store_moved)

# SELinux (CentOS): what the sections wrote where Docker and systemd read it, labelled as
# the policy labels that place (absent paths, e.g. node2's /srv/tp15, are skipped).
platform.restore_labels(this, [
    os.path.dirname(daemon.DAEMON_JSON),  # daemon.json, daemon-tcp.json, tls/, seccomp/
    daemon.TCP_UNIT,
    "/etc/sysctl.d",                      # SEC-1's user namespaces
    security.LVM_PROFILE,
    compose.COMPOSE_WRAPPER,
    compose.STACK_DIR,
    operations.PAGE_DIR,
])
