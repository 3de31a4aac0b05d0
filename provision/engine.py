"""The Docker engine of a node as pyinfra sees it: facts about its containers,
images and compose services, and the operations the TP's sections share.

Operations read their facts when they run (pyinfra 3 runs an operation's body
again at execution), so a container looked up after daemon.json moved Docker's
store is looked up in the new store.

    container(name="tp-sleep", run="docker run -d --name tp-sleep alpine sleep 9999")
    image_pulled(reference="alpine:latest")
"""

from __future__ import annotations

from pyinfra import host
from pyinfra.api import FactBase, operation


class ContainerState(FactBase):
    """The state of container ``name`` (``running``, ``exited``, ``created``…), or None
    when there is none.

        host.get_fact(ContainerState, "tp-sleep")        # -> 'running'
    """

    def command(self, container: str) -> str:
        # A filter, unlike `docker inspect NAME`, answers "none" with exit 0.
        return f"docker ps --all --filter name=^/{container}$ --format '{{{{.State}}}}'"

    def requires_command(self, container: str) -> str:
        return "docker"

    def process(self, output) -> str | None:
        states = [line.strip() for line in output if line.strip()]
        return states[0] if states else None


class ImageIds(FactBase):
    """The IDs of the images named ``reference`` (with ``label`` = value, when given);
    empty when there is none.

        host.get_fact(ImageIds, "alpine:latest", "org.tp15.rootfs-sha256=ab12")
        # -> ['3f57d9401f8d']
    """

    @staticmethod
    def default() -> list:
        return []

    def command(self, reference: str, label: str | None = None) -> str:
        labelled = f" --filter label={label}" if label else ""
        return f"docker image ls --quiet --filter reference={reference}{labelled}"

    def requires_command(self, reference: str, label: str | None = None) -> str:
        return "docker"

    def process(self, output) -> list[str]:
        return sorted({line.strip() for line in output if line.strip()})


class ComposeServices(FactBase):
    """The services with a running container in the compose project of folder
    ``workdir`` (from the labels Compose puts on its containers).

        host.get_fact(ComposeServices, "/srv/tp15/compose")    # -> ['app', 'db', 'front']
    """

    @staticmethod
    def default() -> list:
        return []

    def command(self, workdir: str) -> str:
        template = '{{.Label "com.docker.compose.service"}}'
        return (f"docker ps --filter label=com.docker.compose.project.working_dir={workdir} "
                f"--format '{template}'")

    def requires_command(self, workdir: str) -> str:
        return "docker"

    def process(self, output) -> list[str]:
        return sorted({line.strip() for line in output if line.strip()})


@operation()
def container(container: str, run: str):
    """``docker run -d --name NAME …`` (``run``) once; ``docker start NAME`` when it
    stopped; nothing when it runs."""
    state = host.get_fact(ContainerState, container)
    if state == "running":
        host.noop(f"container {container} is running")
    elif state:
        yield f"docker start {container}"
    else:
        yield run


@operation()
def image_pulled(reference: str):
    """``docker pull REFERENCE`` when the engine does not have it."""
    if host.get_fact(ImageIds, reference):
        host.noop(f"{reference} is present")
    else:
        yield f"docker pull {reference}"


def _changes(operations: list) -> bool:
    """Whether one of ``operations`` (earlier in this run) changed the host: known once
    they ran; while pyinfra only prepares (``--dry``), what they are expected to do."""
    return any(op.did_change() if op.is_complete() else op.will_change() for op in operations)


@operation()
def compose_up(workdir: str, command: str, services: list[str], after: list | None = None):
    """``cd WORKDIR && docker compose up -d --build`` (``command``) when a service is
    not running, or when one of the operations ``after`` (the copy of the project's
    files) changed something in this run."""
    missing = sorted(set(services) - set(host.get_fact(ComposeServices, workdir)))
    if missing or _changes(after or []):
        yield f"cd {workdir} && {command}"
    else:
        host.noop(f"{', '.join(services)} running in {workdir}")
