"""A plain-HTTP registry on a node (Debian's ``docker-registry``, ``skopeo`` to fill it),
for labs without Docker Hub (``images: offline``): rkt fetches the lab's alpine from it
(RKT-3), and in the student profile both nodes' Docker pulls the TP's images through it.

    serve(platform, "127.0.0.1:5050", why="RKT-3")
    image_in_registry(source="docker-daemon:alpine:latest", registry="127.0.0.1:5050",
                      repository="alpine", tag="latest")
"""

import json
from io import StringIO

from pyinfra import host
from pyinfra.api import FactBase, operation
from pyinfra.operations import files, systemd

from provision import platform as platforms

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


@operation()
def image_in_registry(source: str, registry: str, repository: str, tag: str):
    """``skopeo copy SOURCE docker://REGISTRY/REPOSITORY:TAG`` when the registry lacks the
    tag (``source``: ``docker-daemon:alpine:latest``, ``oci-archive:/path/alpine.oci.tar``)."""
    if tag in host.get_fact(RegistryTags, registry, repository):
        host.noop(f"{registry}/{repository}:{tag} is served")
    else:
        yield (f"skopeo copy --dest-tls-verify=false {source} "
               f"docker://{registry}/{repository}:{tag}")


def serve(platform: platforms.Platform, address: str, why: str) -> None:
    """``apt install docker-registry skopeo``, the registry on ``address`` without auth."""
    platforms.install_packages(platform, ["docker-registry", "skopeo"],
                               name=f"Install a registry and skopeo ({why})")
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
