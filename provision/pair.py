"""What needs both nodes up, run on node1 by the provision of whichever node completes
the pair (provision/run.py): Portainer's environment of each other node (GUI-2), which
Portainer refuses to add before that node's TCP daemon answers. With VirtualBox, which
brings machines up one at a time, node1 is provisioned before node2 exists: node1's own
provision leaves node2 out, saying so, and node2's provision adds it here.

    pyinfra --chdir . provision/inventory.py provision/pair.py --limit node1

Idempotent: an environment Portainer has is left alone, one whose daemon does not answer
yet is left for later, and a Portainer that does not run yet (node1's provision has not
reached 6. GUI) is left to node1's own provision.
"""

from pyinfra import host, logger

from lab.artifacts import pairs_nodes
from lab.settings import MAIN_NODE, load
from provision import engine, portainer

settings = load()
if host.name == MAIN_NODE and pairs_nodes(settings):
    if host.get_fact(engine.ContainerState, portainer.CONTAINER) == "running":
        portainer.manage_environments(settings)
    else:
        logger.info(f"{host.print_prefix}Portainer does not run yet: node1's own provision "
                    "adds the other nodes' environments (GUI-2)")
