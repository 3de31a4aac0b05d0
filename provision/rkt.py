"""TP section "Low level containerization — 2. avec rkt" (main node).

    installer rkt 1.29.0 : rpm -ivh … (le paquet de la release GitHub)
    rkt list
    rkt --insecure-options=image run docker://alpine --exec /bin/true
    systemd-run rkt --insecure-options=image run docker://alpine --exec /bin/sleep -- 9999

Requirements: RKT-5 (the boot on cgroup v1 that the package's default stage1 needs, first,
since it reboots the node), RKT-1 (the package), RKT-2 … RKT-4 (rkt's commands; the pod
under systemd-run is left running as the transient unit ``tp-rkt``).

rkt's package is its official release package, and only that
(``lab.artifacts.rkt_package``): the artifacts folder's (``artifacts`` /
``LAB_ARTIFACTS``), else rkt's GitHub release page, its sha256 checked against lab.yml's
``rkt.deb_sha256`` / ``rkt.rpm_sha256`` or printed to pin there. An offline lab without
it installs nothing, says so in one line, and does not reboot node1 for it.

The stage1 is the release packages' default, coreos, on both distributions: the TP's
``rpm -ivh`` gives it, and no other flavor ships in the package. It boots systemd in the
pod and needs the cgroup v1 hierarchy, hence the boot switch (RKT-5). Under CentOS's
enforcing SELinux, rkt labels each pod from the policy's lxc_contexts (container_t),
which container-selinux defines: the section installs it, and SELinux stays enforcing.

rkt fetches alpine from a registry on the node (``rkt.registry``, provision/registry.py),
never from Docker Hub directly: rkt 1.29 cannot read the image indexes Hub serves today.
"""

from __future__ import annotations

from pyinfra import host, logger
from pyinfra.api import FactBase, operation
from pyinfra.operations import apt, dnf, files, server

from lab.artifacts import rkt_package, rkt_package_name
from lab.registry import RKT_INSECURE, hub_repository, rkt_alpine, rkt_repository
from lab.settings import Settings
from provision import artifacts, registry
from provision import platform as platforms

CGROUP_V1 = "systemd.unified_cgroup_hierarchy=0"
POD_UNIT = "tp-rkt"
# rkt's stage1 flavors that need the cgroup v1 hierarchy: coreos and kvm boot systemd in
# the pod with rkt's own cgroup set-up, whose cgroup v2 support was never finished
# (rkt/rkt#1757); host and fly run on cgroup v2.
CGROUP_V1_STAGE1S = frozenset({"coreos", "kvm"})
# The default stage1 of rkt's official packages (rkt's release build configures
# /usr/lib/rkt/stage1-images/stage1-coreos.aci as the default location).
RELEASE_STAGE1 = "coreos"


# --- Facts -----------------------------------------------------------------------------

class KernelArguments(FactBase):
    """The arguments the running kernel booted with (/proc/cmdline).

        host.get_fact(KernelArguments)    # -> ['BOOT_IMAGE=/boot/vmlinuz…', 'ro', 'quiet']
    """

    command = "cat /proc/cmdline"

    def process(self, output) -> list[str]:
        return " ".join(output).split()


class UnitState(FactBase):
    """systemd's ActiveState of ``unit`` (``active``, ``failed``, ``inactive``…).

        host.get_fact(UnitState, "tp-rkt")    # -> 'active'
    """

    def command(self, unit: str) -> str:
        return f"systemctl show --property=ActiveState --value {unit}"

    def process(self, output) -> str:
        return "".join(output).strip() or "inactive"


class RktImages(FactBase):
    """The names of the images in rkt's store.

        host.get_fact(RktImages)    # -> ['127.0.0.1_5050/alpine:latest']
    """

    command = "rkt image list --no-legend --fields=name"
    requires_command = "rkt"

    @staticmethod
    def default() -> list:
        return []

    def process(self, output) -> list[str]:
        return sorted(line.strip() for line in output if line.strip())


# --- Operations ------------------------------------------------------------------------

@operation()
def boots_with(argument: str, command: str):
    """RKT-5 — the kernel argument for the next boots (``command``: grubby on EL,
    /etc/default/grub + update-grub on Debian) when the running kernel lacks it."""
    if argument in host.get_fact(KernelArguments):
        host.noop(f"the kernel runs with {argument}")
    else:
        yield command


@operation()
def ran_to_completion(reference: str, insecure: str):
    """RKT-3 — ``rkt --insecure-options=… run REFERENCE --exec /bin/true`` (then
    ``rkt gc``) until the image is in rkt's store."""
    if image_name(reference) in host.get_fact(RktImages):
        host.noop(f"{image_name(reference)} is in rkt's store: it ran")
    else:
        yield (f"rkt --insecure-options={insecure} run {reference} --exec /bin/true && "
               "rkt gc --grace-period=0s")


@operation()
def pod_under_systemd_run(unit: str, reference: str, insecure: str):
    """RKT-4 — ``systemd-run --unit=UNIT rkt … run REFERENCE --exec /bin/sleep -- 9999``
    when the unit is not active (``systemctl reset-failed`` first after a failure)."""
    state = host.get_fact(UnitState, unit)
    if state == "active":
        host.noop(f"{unit} is active")
        return
    if state == "failed":
        yield f"systemctl reset-failed {unit}"
    yield (f"systemd-run --unit={unit} rkt --insecure-options={insecure} run {reference} "
           "--exec /bin/sleep -- 9999")


# --- What the operations are given -----------------------------------------------------

def stage1_to_install(settings: Settings) -> str | None:
    """The default stage1 of the rkt package this lab installs: the release packages'
    (coreos), or None when the lab has no package to install."""
    if rkt_package(settings).kind == "none":
        return None
    return RELEASE_STAGE1


def boots_on_cgroup_v1(settings: Settings) -> bool:
    """RKT-5 — whether node1's boot moves to cgroup v1: exactly when the stage1 of the
    package it gets needs it.

    >>> from lab.settings import load
    >>> boots_on_cgroup_v1(load(environ={}))
    True
    """
    return stage1_to_install(settings) in CGROUP_V1_STAGE1S


def alpine_source(settings: Settings) -> str:
    """Where skopeo takes the alpine it puts in the registry: Docker Hub's, or offline the
    stand-in in the node's Docker.

    >>> from lab.settings import load
    >>> alpine_source(load(environ={}))
    'docker://docker.io/library/alpine:latest'
    """
    alpine = settings.tp_images["alpine"]
    if settings.images == "offline":
        return f"docker-daemon:{alpine}"
    on_hub = hub_repository(alpine)
    return f"docker://docker.io/{on_hub[0]}:{on_hub[1]}" if on_hub else f"docker://{alpine}"


def image_name(reference: str) -> str:
    """The name rkt's store gives an image fetched from ``docker://REFERENCE`` (docker2aci
    writes a registry's ``:PORT`` as ``_PORT``).

    >>> image_name("docker://alpine"), image_name("docker://127.0.0.1:5050/alpine:latest")
    ('registry-1.docker.io/library/alpine:latest', '127.0.0.1_5050/alpine:latest')
    """
    name = reference.removeprefix("docker://")
    if ":" not in name.rsplit("/", 1)[-1]:
        name += ":latest"
    registry, _, path = name.partition("/")
    if not path or not ("." in registry or ":" in registry or registry == "localhost"):
        return f"registry-1.docker.io/{name if path else 'library/' + name}"
    return f"{registry.replace(':', '_')}/{path}"


# --- The section -----------------------------------------------------------------------

def boot_on_cgroup_v1(platform: platforms.Platform, settings: Settings) -> None:
    """RKT-5 — ``grubby --update-kernel=ALL --args=systemd.unified_cgroup_hierarchy=0`` (EL),
    the same in /etc/default/grub + ``update-grub`` (Debian), then one reboot: only when
    the stage1 of the package the lab installs needs cgroup v1."""
    if not boots_on_cgroup_v1(settings):
        return
    stage1 = stage1_to_install(settings)
    changed = boots_with(name=f"Boot with {CGROUP_V1}: rkt's {stage1} stage1 needs cgroup v1 "
                         "(RKT-5)", argument=CGROUP_V1,
                         command=platform.kernel_argument_command(CGROUP_V1))
    server.reboot(name="Reboot once on cgroup v1 (RKT-5; minutes under emulation)",
                  delay=10, interval=5, reboot_timeout=900, _if=changed.did_change)


def install_rkt(platform: platforms.Platform, settings: Settings) -> bool:
    """RKT-1 — the release package, as the TP's ``rpm -ivh rkt-1.29.0-1.x86_64.rpm``
    (``apt install ./rkt_1.29.0-1_amd64.deb`` on Debian). False, said in one line, when
    the lab has no package."""
    source = rkt_package(settings)
    if source.kind == "none":
        logger.warning(f"{host.print_prefix}rkt (RKT-1 … RKT-5): not installed. {source.where}")
        return False
    name = rkt_package_name(settings.distribution, settings.versions.rkt)
    dest = f"{artifacts.CACHE}/{name}"
    if source.kind == "file":
        files.put(name=f"Copy {source.where} to the node (RKT-1)", src=source.where, dest=dest,
                  create_remote_dir=True)
    else:
        files.download(name=f"Download {name} from rkt's release page (RKT-1)",
                       src=source.where, dest=dest, sha256sum=source.pinned)
    artifacts.sha256_checked(name=f"Check {name}'s sha256 (RKT-1)", path=dest,
                             pinned=source.pinned, setting=f"rkt.{name.rsplit('.', 1)[-1]}_sha256")
    if platform.rkt_packages:
        platforms.install_packages(platform, list(platform.rkt_packages),
                                   name=f"Install {', '.join(platform.rkt_packages)}: the "
                                   "SELinux contexts rkt runs its pods in (RKT-3)")
    install = apt.deb if platform.package_manager == "apt" else dnf.rpm
    install(name=f"Install {name} (RKT-1)", src=dest)
    return True


def serve_alpine(platform: platforms.Platform, settings: Settings) -> None:
    """The lab's registry on the node serves alpine with a manifest rkt reads:
    ``skopeo copy --format v2s2 docker://docker.io/library/alpine:latest
    docker://127.0.0.1:5050/alpine:latest`` (offline: from the stand-in in Docker)."""
    registry.serve(platform, settings, settings.rkt.registry, why="rkt's alpine, RKT-3")
    repository, _, tag = rkt_repository(settings).partition(":")
    registry.image_in_registry(name=f"Put alpine in {settings.rkt.registry}, as a manifest "
                               "rkt reads", source=alpine_source(settings),
                               registry=settings.rkt.registry, repository=repository,
                               tag=tag or "latest")


def deploy(platform: platforms.Platform, settings: Settings) -> None:
    """The section's steps after the boot on cgroup v1 (deploy.py runs that first)."""
    if not install_rkt(platform, settings):
        return
    serve_alpine(platform, settings)
    reference = rkt_alpine(settings)
    ran_to_completion(name=f"rkt run {reference} --exec /bin/true (RKT-3)",
                      reference=reference, insecure=RKT_INSECURE)
    pod_under_systemd_run(name=f"systemd-run --unit={POD_UNIT} rkt run … sleep 9999 (RKT-4)",
                          unit=POD_UNIT, reference=reference, insecure=RKT_INSECURE)
