"""What both profiles (reference and student) give the machines before any TP section:
the machines as the TP takes them.

    name_lab_nodes(settings)    # node1 and node2 in /etc/hosts
"""

from pyinfra.operations import files

from lab.settings import Settings


def name_lab_nodes(settings: Settings) -> None:
    """The nodes reach each other by name (``docker -H tcp://node1:2376`` from node2)."""
    for node in settings.nodes.values():
        files.line(name=f"{node.name} in /etc/hosts", path="/etc/hosts",
                   line=rf"^{node.ip}\s", replace=f"{node.ip} {node.name}")
