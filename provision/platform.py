"""What differs between the lab's distributions, and nothing else.

The TP is written for CentOS (dnf, Docker's docker-ce repository); the lab also
runs on Debian 12, where an offline lab takes Docker from Debian itself
(``engine: distribution`` in lab.yml). Sections ask this module for package
names and repositories; they never test the distribution themselves.

    >>> platform = PLATFORMS["debian-12"]
    >>> platform.docker_packages(settings)       # engine: distribution
    ['docker.io', 'containerd', 'runc', 'apparmor']
    >>> platform.docker_packages(settings)       # engine: docker-ce
    ['docker-ce=5:24.0.9-1~debian.12~bookworm', 'docker-ce-cli=5:24.0.9-1~debian.12~bookworm', ...]
"""

from __future__ import annotations

from dataclasses import dataclass

from pyinfra import host
from pyinfra.api.exceptions import DeployError
from pyinfra.facts.rpm import RpmPackages
from pyinfra.facts.server import Command, LinuxDistribution
from pyinfra.operations import apt, dnf, files, server

from lab.settings import Settings


@dataclass(frozen=True)
class Platform:
    """One supported distribution: its package manager and Docker's packaging there."""

    name: str
    package_manager: str  # "apt" or "dnf"
    # Docker's package versions carry a distribution suffix (and an epoch on Debian).
    docker_version_format: str
    compose_version_format: str
    # Docker's repository, as its installation page for the distribution gives it.
    docker_repo: str
    docker_repo_key: str | None = None
    # What Docker needs beside its packages that apt's --no-install-recommends leaves
    # out: Debian's kernel enables AppArmor, and dockerd refuses to start containers
    # without apparmor_parser to load its docker-default profile.
    docker_companions: tuple[str, ...] = ()
    # DCFG-3: LVM for /data's volume (a minimal box may not have it).
    lvm_packages: tuple[str, ...] = ("lvm2",)
    # SEC-4, Docker's "Configure direct-lvm mode manually": LVM and the thin-pool tools
    # (thin_check, which lvconvert and activation run).
    thin_pool_packages: tuple[str, ...] = ("lvm2",)

    def docker_packages(self, settings: Settings) -> list[str]:
        """Docker Engine's packages, pinned, as the TP's "install classique de docker-ce"."""
        if settings.engine == "distribution":
            return ["docker.io", "containerd", "runc", *self.docker_companions]
        engine = self.docker_version_format.format(settings.versions.docker)
        compose = self.compose_version_format.format(settings.versions.compose)
        return [
            f"docker-ce={engine}",
            f"docker-ce-cli={engine}",
            "containerd.io",
            "docker-buildx-plugin",
            f"docker-compose-plugin={compose}",
            *self.docker_companions,
        ]

    def runc_packages(self, settings: Settings) -> list[str]:
        """The package that brings ``runc``.

        Docker's ``containerd.io`` ships its own ``/usr/bin/runc`` and conflicts
        with the distribution's ``runc`` package, so a docker-ce host takes runc
        from containerd.io.
        """
        return ["runc"] if settings.engine == "distribution" else ["containerd.io"]

    def compose_packages(self, settings: Settings) -> list[str]:
        """Compose (CMP-1): Docker's ``docker-compose-plugin``, pinned, beside docker-ce;
        the distribution's ``docker-compose`` (1.29 on Debian 12) beside its docker.io."""
        if settings.engine == "distribution":
            return ["docker-compose"]
        return [f"docker-compose-plugin="
                f"{self.compose_version_format.format(settings.versions.compose)}"]


PLATFORMS = {
    "centos-stream-9": Platform(
        name="centos-stream-9",
        package_manager="dnf",
        docker_version_format="{}-1.el9",
        compose_version_format="{}-1.el9",
        docker_repo="https://download.docker.com/linux/centos/docker-ce.repo",
        thin_pool_packages=("lvm2", "device-mapper-persistent-data"),
    ),
    "debian-12": Platform(
        name="debian-12",
        package_manager="apt",
        docker_version_format="5:{}-1~debian.12~bookworm",
        compose_version_format="{}-1~debian.12~bookworm",
        docker_repo=(
            "deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] "
            "https://download.docker.com/linux/debian bookworm stable"
        ),
        docker_repo_key="https://download.docker.com/linux/debian/gpg",
        docker_companions=("apparmor",),
        thin_pool_packages=("lvm2", "thin-provisioning-tools"),
    ),
}

# /etc/os-release ID and VERSION_ID (major) of each supported distribution.
_OS_RELEASE = {("centos", "9"): "centos-stream-9", ("debian", "12"): "debian-12"}


def current() -> Platform:
    """The platform of the host pyinfra is working on, from its /etc/os-release."""
    meta = host.get_fact(LinuxDistribution)["release_meta"]
    key = (meta.get("ID", "?"), meta.get("VERSION_ID", "?").split(".")[0])
    if key not in _OS_RELEASE:
        raise DeployError(
            f"{host.name}: {meta.get('PRETTY_NAME', key)} is not a distribution this lab "
            f"supports; use CentOS Stream 9 or Debian 12 (lab.yml: distribution)."
        )
    return PLATFORMS[_OS_RELEASE[key]]


def dnf_install_command(packages: list[str], installed: dict[str, set[str]]) -> str | None:
    """The ``dnf install`` a student would type for what is missing, or None.

    Pinned packages are written ``name=version`` (as for apt) and installed the
    way Docker's documentation does it, ``dnf install docker-ce-24.0.9-1.el9``.

        >>> dnf_install_command(["docker-ce=24.0.9-1.el9", "containerd.io"],
        ...                     {"containerd.io": {"1.6.33-3.1.el9"}})
        'dnf install -y docker-ce-24.0.9-1.el9'
    """
    missing = []
    for spec in packages:
        name, _, version = spec.partition("=")
        versions = installed.get(name, set())
        if not versions or (version and version not in versions):
            missing.append(f"{name}-{version}" if version else name)
    return f"dnf install -y {' '.join(missing)}" if missing else None


def install_packages(platform: Platform, packages: list[str], name: str) -> None:
    """Install ``packages`` with the distribution's package manager (idempotent)."""
    if platform.package_manager == "apt":
        apt.packages(name=name, packages=packages, update=True, cache_time=3600,
                     no_recommends=True)
        return
    # pyinfra's dnf.packages would pass `name=version` to dnf, which wants name-version.
    command = dnf_install_command(packages, host.get_fact(RpmPackages))
    if command:
        server.shell(name=name, commands=[command])
    else:
        host.noop(f"{name}: {', '.join(packages)} already installed")


def add_docker_repository(platform: Platform) -> None:
    """Add Docker's package repository, as docs.docker.com/engine/install says."""
    if platform.package_manager == "apt":
        files.directory(name="Create /etc/apt/keyrings", path="/etc/apt/keyrings")
        files.download(name="Download Docker's repository key",
                       src=platform.docker_repo_key, dest="/etc/apt/keyrings/docker.asc")
        repo = apt.repo(name="Add Docker's apt repository", src=platform.docker_repo,
                        filename="docker")
        apt.update(name="Read Docker's repository", _if=repo.did_change)
    else:
        dnf.repo(name="Add Docker's dnf repository (docker-ce.repo)", src=platform.docker_repo)


def open_port(platform: Platform, port: int) -> None:
    """Let the host machine reach ``port``: CentOS runs firewalld
    (``firewall-cmd --permanent --add-port=2376/tcp``); Debian has no firewall."""
    if platform.package_manager == "apt":
        return
    opened = host.get_fact(
        Command, "systemctl is-active -q firewalld && firewall-cmd --list-ports || echo inactive")
    if opened == "inactive" or f"{port}/tcp" in opened.split():
        host.noop(f"port {port}/tcp is open")
        return
    server.shell(name=f"Open port {port}/tcp in firewalld",
                 commands=[f"firewall-cmd --permanent --add-port={port}/tcp",
                           "firewall-cmd --reload"])
