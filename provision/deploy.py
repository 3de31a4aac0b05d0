"""The lab's pyinfra deploy: every TP section, in the TP's order, on each node.

Run by ``vagrant up`` / ``vagrant provision`` for one node, or by hand:

    pyinfra --chdir . provision/inventory.py provision/deploy.py --limit node1
    pyinfra --chdir . provision/inventory.py provision/deploy.py --dry   # what would change
"""

from lab.settings import load
from provision import platform, runc

settings = load()
runc.deploy(platform.current(), settings)
