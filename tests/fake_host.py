"""A stand-in for pyinfra's host, to run the project's operations without a VM:
facts in, commands out, the way pyinfra tests its own operations.

    fake = FakeHost({(LogicalVolume, "data/docker"): None, BlockDevices: [...]})
    run(daemon.data_volume, fake, disk=disk)   # -> ["pvcreate /dev/vdb", ...]
"""

from pyinfra.context import ctx_host


class FakeHost:
    """Facts by ``(fact class, *arguments)`` or by class alone; noops recorded."""

    name = "node1"
    print_prefix = "[node1] "

    def __init__(self, facts: dict):
        self.facts = facts
        self.read: list = []
        self.noops: list[str] = []

    def get_fact(self, fact_class, *args):
        self.read.append(fact_class)
        # a number as the recorded cases' fact names write it ("Environments 9443 …")
        key = (fact_class, *(tuple(a) if isinstance(a, list) else str(a) if isinstance(a, int)
                             else a for a in args))
        return self.facts[key] if key in self.facts else self.facts[fact_class]

    def noop(self, description: str) -> None:
        self.noops.append(description)


def run(operation, fake: FakeHost, **arguments) -> list[str]:
    """The commands ``operation`` yields on ``fake``."""
    with ctx_host.use(fake):
        return [str(command) for command in operation._inner(**arguments)]
