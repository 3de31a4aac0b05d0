"""pyinfra inventory of the running Vagrant lab.

Each node that ``vagrant up`` brought up has ``.vagrant/lab/ssh-config.NODE``
(written by the Vagrantfile's trigger from Vagrant's own SSH details); the
nodes come from lab.yml.

    pyinfra provision/inventory.py debug-inventory
"""

from lab.settings import load, ssh_config_file

settings = load()

nodes = [
    (name, {"ssh_config_file": str(ssh_config_file(name)), "_sudo": True})
    for name in settings.nodes
    if ssh_config_file(name).exists()
]
if not nodes:
    raise SystemExit(
        "No node of the lab is up (no .vagrant/lab/ssh-config.NODE): run `vagrant up` first."
    )
