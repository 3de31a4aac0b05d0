"""A plain-HTTP registry on a node, ``skopeo`` to fill it: rkt fetches the lab's alpine
from it (RKT-3), on every profile, and in the student profile of an offline lab both
nodes' Docker pulls the TP's images through it.

rkt 1.29 reads Docker v2 / OCI image manifests, not the image indexes Docker Hub serves
today, so the lab does not point rkt at Docker Hub: ``skopeo copy --format v2s2`` puts a
manifest rkt reads in the registry (from Docker Hub, or offline from Docker's stand-in).
The registry is Debian's ``docker-registry`` package, or, where the distribution has none
(CentOS Stream 9), Docker's own registry image run by the lab's Docker.

    serve(platform, settings, "127.0.0.1:5050", why="RKT-3")
    image_in_registry(source="docker://docker.io/library/alpine:latest",
                      registry="127.0.0.1:5050", repository="alpine", tag="latest")
"""

import json
from io import StringIO

from pyinfra import host
from pyinfra.api import FactBase, operation
from pyinfra.operations import files, systemd

from lab.settings import Settings
from provision import platform as platforms

CONTAINER = "tp15-registry"  # where the distribution has no registry package
CONTAINER_PORT = 5000  # what Docker's registry image listens on inside its container

# Debian's registry package starts with htpasswd auth on :5000; the lab's serves without
# auth (what rkt's --insecure-options=http fetch and a Docker mirror need).
CONFIG = "/etc/docker/registry/config.yml"
CONFIG_TEXT = """\
# The lab's registry (provision/registry.py): the TP's images without Docker Hub.
version: 0.1
storage:
  filesystem:
    rootdirectory: /var/lib/docker-registry
http:
  addr: {address}
"""


class RegistryTags(FactBase):
    """The tags of ``repository`` in the plain-HTTP registry at ``registry`` (empty when
    it has none; a registry that does not answer within 30 s fails the host).

        host.get_fact(RegistryTags, "127.0.0.1:5050", "alpine")    # -> ['latest']
    """

    @staticmethod
    def default() -> list:
        return []

    def command(self, registry: str, repository: str) -> str:
        # A registry without the repository answers 404 with an error, no "tags"; one
        # that was just (re)started refuses connections for seconds under emulation.
        return (f"curl -sS --retry 30 --retry-connrefused --retry-delay 1 "
                f"http://{registry}/v2/{repository}/tags/list")

    def process(self, output) -> list[str]:
        try:
            return sorted(json.loads("".join(output)).get("tags") or [])
        except ValueError:
            return []


class RegistryContainer(FactBase):
    """The container ``container`` as ``docker ps -a`` lists it: its image, state and published
    ports, or None when there is no such container.

        host.get_fact(RegistryContainer, "tp15-registry")
        # -> {'image': 'registry:2.8.3', 'state': 'running', 'ports': '127.0.0.1:5050->5000/tcp'}
    """

    requires_command = "docker"

    def command(self, container: str) -> str:
        return (f"docker ps -a --filter 'name=^{container}$' "
                "--format '{{.Image}}\t{{.State}}\t{{.Ports}}'")

    def process(self, output) -> dict | None:
        for line in output:
            image, state, ports = (line.split("\t") + ["", ""])[:3]
            return {"image": image, "state": state, "ports": ports}
        return None


@operation()
def registry_container(container: str, image: str, address: str):
    """``docker run -d --name CONTAINER --restart=always -p ADDRESS:5000 IMAGE`` unless
    that container runs so (one stopped, of another image or port is removed first)."""
    found = host.get_fact(RegistryContainer, container)
    published = f"{address}->{CONTAINER_PORT}/tcp"
    if found and found["image"] == image and found["state"] == "running" \
            and published in found["ports"]:
        host.noop(f"{container} runs {image} on {address}")
        return
    if found:
        yield f"docker rm -f {container}"
    yield (f"docker run -d --name {container} --restart=always -p {address}:{CONTAINER_PORT} "
           f"{image}")


@operation()
def image_in_registry(source: str, registry: str, repository: str, tag: str):
    """``skopeo copy --format v2s2 SOURCE docker://REGISTRY/REPOSITORY:TAG`` when the
    registry lacks the tag (``source``: ``docker://docker.io/library/alpine:latest``,
    ``docker-daemon:alpine:latest``): one image's Docker v2 manifest, which rkt reads, even
    from an index of several platforms."""
    if tag in host.get_fact(RegistryTags, registry, repository):
        host.noop(f"{registry}/{repository}:{tag} is served")
    else:
        yield (f"skopeo copy --format v2s2 --dest-tls-verify=false {source} "
               f"docker://{registry}/{repository}:{tag}")


def registry_image(settings: Settings) -> str:
    """Docker's registry image, pinned (lab.yml ``versions.registry``): 'registry:2.8.3'."""
    return f"registry:{settings.versions.registry}"


def serve(platform: platforms.Platform, settings: Settings, address: str, why: str) -> None:
    """A registry without auth on ``address``, and skopeo: ``apt install docker-registry
    skopeo`` (Debian), or ``dnf install skopeo`` and ``docker run … -p ADDRESS:5000
    registry:2.8.3`` where the distribution has no registry package (CentOS)."""
    # curl: how the provisioner asks the registry for its tags (RegistryTags).
    packages = [*([platform.registry_package] if platform.registry_package else []),
                "skopeo", "curl"]
    platforms.install_packages(platform, packages,
                               name=f"Install {', '.join(packages)} ({why})")
    if not platform.registry_package:
        image = registry_image(settings)
        registry_container(name=f"Run {image} as {CONTAINER} on {address}",
                           container=CONTAINER, image=image, address=address)
        return
    config = files.put(name=f"Registry on {address}, without auth",
                       src=StringIO(CONFIG_TEXT.format(address=address)), dest=CONFIG,
                       mode="644")
    systemd.service(name="Run docker-registry", service="docker-registry", running=True,
                    enabled=True, restarted=False)
    systemd.service(name="Restart docker-registry on its new configuration",
                    service="docker-registry", restarted=True, _if=config.did_change)


@operation()
def archive_in_registry(archive: str, upload: str, registry: str, repository: str, tag: str):
    """The OCI archive ``archive`` (a file of this host, lab/oci.py) put at ``upload`` on
    the node, ``skopeo copy oci-archive:UPLOAD docker://REGISTRY/REPOSITORY:TAG``, then
    removed, when the registry lacks the tag."""
    if tag in host.get_fact(RegistryTags, registry, repository):
        host.noop(f"{registry}/{repository}:{tag} is served")
        return
    yield from files.put._inner(src=archive, dest=upload, mode="600")
    yield (f"skopeo copy --dest-tls-verify=false oci-archive:{upload} "
           f"docker://{registry}/{repository}:{tag} && rm -f {upload}")
