"""The lab's pyinfra deploy: every TP section, in the TP's order, on each node.

Run by ``vagrant up`` / ``vagrant provision`` for one node, or by hand:

    pyinfra --chdir . provision/inventory.py provision/deploy.py --limit node1
    pyinfra --chdir . provision/inventory.py provision/deploy.py --dry   # what would change
"""

from pyinfra import host

from lab.pki import ensure_pki
from lab.settings import MAIN_NODE, PKI_DIR, load
from provision import api, daemon, images, operations, platform, runc

settings = load()
pki = ensure_pki(PKI_DIR, {node.name: node.ip for node in settings.nodes.values()})
this = platform.current()

runc.deploy(this, settings)
daemon.deploy(this, settings, pki)
images.deploy(settings)
if host.name == MAIN_NODE:
    operations.deploy(settings)
    api.install_curl(this)
