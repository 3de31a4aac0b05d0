"""The one loader of lab.yml: every name, size, version and address of the lab comes from here.

>>> settings = load(environ={})
>>> settings.nodes["node1"].disks["thinpool"].size, settings.box
('6G', 'generic/centos9s@4.3.12')

SCHEMA (with the `key()` fields of the dataclasses it names) gives each key an example and the
checks its value must pass; ENVIRONMENT names the LAB_* variables that override keys; RULES check
across keys. One walk (lab/schema.py) applies them all and reports every problem at once.
`.venv/bin/python -m lab.settings [--json]` prints a summary (or JSON, for the Vagrantfile, which
runs it on every command: hence only the standard library and PyYAML; pydantic adds 0.2 s).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from lab.schema import (
    Check,
    Key,
    Section,
    SettingsError,
    Walk,
    choice,
    is_ipv4,
    is_text,
    key,
    matches,
    size_bytes,
    size_checks,
    version_key,
    whole,
)

REPO = Path(__file__).resolve().parent.parent
DEFAULT_PATH = REPO / "lab.yml"
# What `vagrant up` leaves for pyinfra and the acceptance suite (SSH details).
STATE_DIR = REPO / ".vagrant" / "lab"
PKI_DIR = STATE_DIR / "pki"  # the lab's CA and certificates for Docker's TCP sockets (lab/pki.py)
# Portainer's admin password, generated once by provisioning (GUI-1, GUI-2).
PORTAINER_PASSWORD_FILE = STATE_DIR / "portainer-admin-password"
SECCOMP_DIR = REPO / "provision" / "seccomp"  # Moby's profiles, one per release tag (SEC-3)
MAIN_NODE = "node1"  # the main Docker host (every TP section); node2 is the second one (GUI-2)
APP_PORT = 5000  # the app's port in the compose stack: CMP-5 checks it stays closed from outside
APP_KEY_PREFIX = "kv:"  # where the app keeps a key in Redis (app/app.py's KEY_PREFIX, CMP-4)
DAEMON_JSON = "/etc/docker/daemon.json"  # the main dockerd's configuration file
PORTAINER_ADMIN = "admin"  # the user Portainer's --admin-password makes (GUI-2)
PORTAINER_HTTPS_PORT = 9443  # Portainer's own HTTPS port, in its container (GUI-1)
DOCKER_DEFAULT_OOM_SCORE_ADJUST = -500  # Docker's default for dockerd; DCFG-4 wants ours below
NOTHING_STARTED = ("Nothing was started. Fix lab.yml (or the LAB_* variable) and run the "
                   "command again.")


def seccomp_profile(tag: str) -> Path:
    return SECCOMP_DIR / f"{tag}.json"


def ssh_config_file(node: str) -> Path:
    """The OpenSSH client config the Vagrantfile writes for ``node`` once it is up."""
    return STATE_DIR / f"ssh-config.{node}"


VERSION = Check(matches(r"[0-9]+\.[0-9]+\.[0-9]+"), "does not look like X.Y.Z")
SIMPLE_NAME = Check(matches(r"[a-z0-9-]+"), "is not a simple name (lower-case letters, digits, -)")
TCP_PORT = Check(whole(1, 65535), "is not a TCP port")
# A pinned sha256 (the example: that of nothing), or null: provisioning prints the value it
# found, to pin it.
SHA256 = Key("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Check(
    matches(r"[0-9a-f]{64}"), "is not a sha256 (64 lower-case hex digits)"), note=", or null",
    optional=True)


# ---- The settings, as the loader returns them -----------------------------------------------

@dataclass(frozen=True)
class Versions:
    # devicemapper, which SEC-4 needs, was removed from Docker Engine 25.
    docker: str = version_key("24.0.9", VERSION, Check(
        lambda version: int(version.split(".")[0]) <= 24, "is Docker Engine 25 or later, which "
        "removed the devicemapper storage driver the TP needs (SEC-4)",
        'pin a 24.x release, e.g. "24.0.9"'))
    # Docker's containerd.io package, which also brings runc. Engine 24's packages came beside
    # containerd.io 1.6 (its static binaries carried containerd 1.7); Docker's repository now
    # resolves an unpinned containerd.io to 2.x, which no Engine 24 was built or tested with.
    containerd: str = version_key("1.6.28", VERSION, Check(
        lambda version: int(version.split(".")[0]) <= 1, "is containerd 2 or later, which Docker "
        "Engine 24 never shipped with (versions.docker)",
        'pin the containerd.io 1.6 that Engine 24 shipped with, e.g. "1.6.28"'))
    buildx: str = version_key("0.12.1", VERSION)  # docker-buildx-plugin
    compose: str = version_key("2.27.0", VERSION)
    rkt: str = version_key("1.29.0", VERSION)
    # Docker's registry image, which serves rkt its alpine where the distribution packages
    # no registry (CentOS Stream 9)
    registry: str = version_key("2.8.3", VERSION)
    portainer: str = version_key("2.39.4", VERSION)  # Portainer CE (GUI-1)
    moby_seccomp: str = version_key("v20.10.24", Check(
        lambda tag: seccomp_profile(tag).is_file(),
        lambda tag: f"has no profile provision/seccomp/{tag}.json in the repository",
        lambda *_: "use one of " + ", ".join(sorted(p.stem for p in SECCOMP_DIR.glob("*.json")))
        + " (provision/seccomp/README.md says how to add another)"))


@dataclass(frozen=True)
class Network:
    name: str = key("tp15-lab", SIMPLE_NAME)
    prefix: int = key(24, Check(whole(8, 30), "is not a prefix length between 8 and 30"),
                      note=" (a /24 network like 192.168.56.0/24)")


@dataclass(frozen=True)
class Disk:
    name: str
    size: str  # as written in lab.yml, e.g. "4G"
    bytes: int

    @property
    def gib(self) -> int:
        """The size in whole GiB, rounded up: what Vagrant's providers accept."""
        return -(-self.bytes // 1024**3)


@dataclass(frozen=True)
class Node:
    name: str
    ip: str
    cpus: int
    memory: int  # MiB
    disks: dict[str, Disk]

    @property
    def thin_pool(self) -> bool:
        """SEC-4's devicemapper in direct-lvm mode is on where the node has a ``thinpool`` disk
        (lab.yml; node1): the one place that decides it."""
        return "thinpool" in self.disks


@dataclass(frozen=True)
class Daemon:  # the main dockerd's configuration (TP "Docker basics — 1. Basic configuration")
    data_root: str = key("/data", Check(lambda root: is_text(root) and root.startswith("/")
                                        and root != "/", "is not an absolute path below /"))
    oom_score_adjust: int = key(-800, Check(
        whole(-1000, DOCKER_DEFAULT_OOM_SCORE_ADJUST - 1),
        f"must be an integer from -1000 to {DOCKER_DEFAULT_OOM_SCORE_ADJUST - 1}: below Docker's "
        f"default ({DOCKER_DEFAULT_OOM_SCORE_ADJUST}) so that the kernel kills containers before "
        "the daemon"))
    users: tuple[str, ...] = key("[vagrant]", Check(  # put in group docker
        lambda users: isinstance(users, list) and users != []
        and all(map(matches(r"[a-z_][a-z0-9_-]*"), users)), "is not a list of user names"))
    tcp_port: int = key(2376, TCP_PORT, note=" (Docker's TLS port)")  # docker-tcp.service, mTLS

    def __post_init__(self) -> None:
        object.__setattr__(self, "users", tuple(self.users))  # lab.yml gives a list


@dataclass(frozen=True)
class Security:  # TP "Docker basics — 4. Robust conf" (SEC-*)
    max_user_namespaces: int = key(15000, Check(  # SEC-1: user.max_user_namespaces
        whole(1), "must be a whole number above 0 (0 disables user namespaces, which "
        "userns-remap needs)"))
    # SEC-4/SEC-5: devicemapper's dm.basesize, each container's disk
    dm_basesize: str = key("1G", *size_checks("512M", "is too small: the TP's images must fit in a "
                                        "container's disk (at least 512M)"))

    @property
    def dm_basesize_bytes(self) -> int:
        """dm_basesize in bytes: ``1G`` is 1073741824."""
        return size_bytes(self.dm_basesize)


@dataclass(frozen=True)
class Rkt:  # TP "Low level containerization — 2. avec rkt" (RKT-*)
    # images: offline — the node's own registry, HOST:PORT, serving alpine
    registry: str = key("127.0.0.1:5050", Check(matches(r"[A-Za-z0-9.-]+:[0-9]{1,5}"),
                                                "is not HOST:PORT"))
    deb_sha256: str | None = field(metadata={"key": SHA256})  # of rkt's official packages
    rpm_sha256: str | None = field(metadata={"key": SHA256})


@dataclass(frozen=True)
class Portainer:  # TP "6. GUI ?" (GUI-*)
    sha256: str | None = field(metadata={"key": SHA256})  # of the artifacts' `docker save`


@dataclass(frozen=True)
class Student:  # profile: student — what the TP takes as given (provision/student.py)
    # on each node: what the TP hands out (the app) and what the network cannot give (rkt's package)
    files: str = key("/opt/tp15", Check(lambda path: is_text(path) and path.startswith("/")
                                        and path != "/", "is not an absolute path below /"))
    # images: offline — node1's registry, the nodes' Docker Hub mirror once Docker is installed
    registry_port: int = key(5050, TCP_PORT)


@dataclass(frozen=True)
class Settings:
    profile: str  # reference (every section applied) or student (none: the student does them)
    distribution: str
    provider: str
    engine: str
    images: str
    artifacts: Path | None
    versions: Versions
    box: str  # NAME, or NAME@VERSION to pin the box's version (boxes: in lab.yml)
    libvirt_driver: str
    libvirt_prefix: str  # of the lab's libvirt domains and volumes
    network: Network
    nodes: dict[str, Node]
    daemon: Daemon
    tp_images: dict[str, str]  # TP name (alpine, nginx, redis, python) -> image reference
    ports: dict[str, int]  # published on node1: nginx (OPS-6), front (CMP-*), portainer (GUI-1)
    security: Security
    rkt: Rkt
    portainer: Portainer
    student: Student

    @property
    def box_name(self) -> str:
        """The box without its pinned version: ``generic/centos9s@4.3.12`` → its name."""
        return self.box.partition("@")[0]

    @property
    def box_version(self) -> str | None:
        """The box's pinned version (``config.vm.box_version``), or None: any, the newest."""
        return self.box.partition("@")[2] or None

    @property
    def cidr(self) -> str:
        """The private network the nodes share, e.g. '192.168.56.0/24'."""
        first = next(iter(self.nodes.values()))
        return str(ipaddress.IPv4Interface(f"{first.ip}/{self.network.prefix}").network)

    def to_dict(self) -> dict[str, Any]:
        """The resolved settings as JSON-able data, in a stable order (for the Vagrantfile)."""
        netmask = str(ipaddress.IPv4Network(self.cidr).netmask)
        return {
            "profile": self.profile, "distribution": self.distribution,
            "provider": self.provider, "box": self.box_name, "box_version": self.box_version,
            "libvirt": {"driver": self.libvirt_driver, "prefix": self.libvirt_prefix},
            "engine": self.engine, "images": self.images,
            "artifacts": None if self.artifacts is None else str(self.artifacts),
            "versions": asdict(self.versions),
            "network": {**asdict(self.network), "netmask": netmask, "cidr": self.cidr},
            "state_dir": str(STATE_DIR),
            "daemon": {**asdict(self.daemon), "users": list(self.daemon.users)},
            "tp_images": dict(self.tp_images), "ports": dict(self.ports),
            "security": asdict(self.security), "rkt": asdict(self.rkt),
            "portainer": asdict(self.portainer), "student": asdict(self.student),
            "nodes": {node.name: {
                "ip": node.ip, "cpus": node.cpus, "memory": node.memory,
                "ssh_config": str(ssh_config_file(node.name)),
                "disks": [{"name": d.name, "size": d.size, "gib": d.gib, "bytes": d.bytes}
                          for d in node.disks.values()],
            } for node in self.nodes.values()},
        }


# ---- What lab.yml holds -----------------------------------------------------------------------

DISTRIBUTIONS = ("centos-stream-9", "debian-12")
PROVIDERS = ("libvirt", "virtualbox")
NODE_IPS = {"node1": "192.168.56.11", "node2": "192.168.56.12"}
# node1 carries the devicemapper thin pool (SEC-4); both nodes get /data (DCFG-3).
NODE_DISKS = {"node1": ("data", "thinpool"), "node2": ("data",)}
DISK_MINIMUM = {"data": "1G", "thinpool": "2G"}
PUBLISHED_PORTS = {"nginx": 8080, "front": 80, "portainer": 9443}


SCHEMA = Section({
    "profile": choice("reference", "student"),
    "distribution": choice(*DISTRIBUTIONS),
    "provider": choice(*PROVIDERS),
    "engine": choice("docker-ce", "distribution"),
    "images": choice("hub", "offline"),
    "artifacts": Key("../artifacts", Check(is_text, "is not a folder name"), note=", or null",
                     optional=True),
    "versions": Section(Versions),
    "boxes": Section({distribution: Section({
        provider: Key("generic/centos9s@4.3.12", Check(is_text, "is not a box name"),
                      optional=True)
        for provider in PROVIDERS}, optional=True) for distribution in DISTRIBUTIONS},
        optional=True),
    "libvirt": Section({
        "driver": choice("kvm", "qemu"),
        "prefix": Key("tp15-", SIMPLE_NAME, note=" (domains become tp15-node1, tp15-node2)"),
    }),
    "network": Section(Network),
    "nodes": Section({name: Section({
        "ip": Key(ip, Check(is_ipv4, "is not an IPv4 address")),
        "cpus": Key(1, Check(whole(1), "is not a whole number of CPUs, at least 1")),
        "memory": Key(2048, Check(whole(1024), "is not a whole number of MiB, at least 1024"),
                      note=" (no unit: the number is MiB)"),
        "disks": Section({
            disk: Key(least, *size_checks(least, f"is too small: {disk} needs at least {least}"),
                      note=" or larger", optional=disk not in NODE_DISKS[name])
            for disk, least in DISK_MINIMUM.items()
        }, make=lambda **sizes: {
            disk: Disk(disk, size, size_bytes(size)) for disk, size in sizes.items() if size}),
    }, make=partial(Node, name)) for name, ip in NODE_IPS.items()}),
    "daemon": Section(Daemon),
    "tp_images": Section({name: Key(f"{name}:latest", Check(
        matches(r"[a-z0-9][a-z0-9._/-]*:[A-Za-z0-9_][A-Za-z0-9_.-]*"),
        "is not an image reference NAME:TAG")) for name in ("alpine", "nginx", "redis", "python")}),
    "ports": Section({name: Key(port, TCP_PORT) for name, port in PUBLISHED_PORTS.items()}),
    "security": Section(Security),
    "rkt": Section(Rkt),
    "portainer": Section(Portainer),
    "student": Section(Student),
})

# The only variables that override lab.yml (LAB_PROFILE, ..., LAB_LIBVIRT_DRIVER, LAB_BOX);
# an empty value counts as unset.
ENVIRONMENT = {key: "LAB_" + key.upper().replace(".", "_") for key in (
    "profile", "distribution", "provider", "engine", "images", "artifacts", "libvirt.driver",
    "box")}


# ---- Checks across keys, each run once the key RULES lists it under is checked ---------------

def engine_suits_distribution(lab: Walk) -> None:
    """Only Debian packages a Docker with devicemapper (SEC-4); CentOS has docker-ce alone."""
    found = lab.found
    if found.get("engine") == "distribution" and found.get("distribution") == "centos-stream-9":
        var = lab.origin("engine")
        lab.add("engine", "is only available on debian-12 (CentOS Stream 9 has no distribution "
                "Docker with devicemapper)", f"{f'set {var}=docker-ce' if var else 'use docker-ce'}"
                ", or choose distribution debian-12", "distribution", var)


def images_suit_distribution(lab: Walk) -> None:
    """The offline stand-ins and the registry that serves them are Debian's packages."""
    found = lab.found
    if found.get("images") == "offline" and found.get("distribution") == "centos-stream-9":
        var = lab.origin("images")
        lab.add("images", "is only available on debian-12 (its stand-ins and its registry are "
                "Debian packages; CentOS Stream 9 has neither)",
                f"{f'set {var}=hub' if var else 'use hub'}, or choose distribution debian-12",
                "offline", var)


def artifacts_folder_exists(lab: Walk) -> None:
    """A relative folder is taken from lab.yml's own folder, whatever the working directory."""
    if (name := lab.found.get("artifacts")) is None:
        return
    folder = (lab.path.resolve().parent / Path(name).expanduser()).resolve()
    lab.found["artifacts"] = folder
    if not folder.is_dir():
        var = lab.origin("artifacts")
        lab.add("artifacts", f"is not an existing folder ({folder})", "create it and put the "
                f"artifacts there, or {f'unset {var}' if var else 'set artifacts to null'} to "
                "fetch them from their official URLs", name, var)


def box_is_configured(lab: Walk) -> None:
    """LAB_BOX, else lab.yml's box for the distribution and provider."""
    distribution, provider = lab.found.get("distribution"), lab.found.get("provider")
    box = f"boxes.{distribution}.{provider}"
    if var := lab.origin("box"):
        lab.found["box"] = lab.environ[var]
    elif lab.found.get(box):
        lab.found["box"] = lab.found[box]
    elif distribution and provider and box not in lab.named:
        lab.add(box, f"missing: no box is configured for {distribution} on {provider}",
                "add one there, or set LAB_BOX to a box name")


def addresses_share_one_network(lab: Walk) -> None:
    """Each node has a host address of its own in node1's network; .1 is the host side's."""
    nodes, network = lab.found.get("nodes"), lab.found.get("network")
    if not (nodes and network):
        return
    net = ipaddress.IPv4Interface(f"{nodes[MAIN_NODE].ip}/{network.prefix}").network
    seen: dict[str, str] = {}
    for index, node in enumerate(nodes.values()):
        address = ipaddress.IPv4Address(node.ip)
        # lab.yml's own numbering (.11, .12), moved into the network when it has room
        example = net.network_address + 11 + index if net.num_addresses > 16 \
            else NODE_IPS[node.name]
        for wrong, problem, fix in (
            (address not in net, f"is not in {MAIN_NODE}'s network {net} (network.prefix is "
             f"{network.prefix})", "put both nodes in one network"),
            (node.ip in seen, f"is also {seen.get(node.ip)}'s address", "give each node its own"),
            (address == net.network_address, f"is the address of the network {net} itself",
             "use a host address"),
            (address == net.broadcast_address, f"is the broadcast address of {net}",
             "use a host address"),
            (address == net.network_address + 1, f"is the .1 of {net}, which the provider gives "
             "to the host side", "use another address"),
        ):
            if wrong:
                lab.add(f"nodes.{node.name}.ip", problem, f"{fix}, e.g. {example}", node.ip)
                break
        seen.setdefault(node.ip, node.name)


def ports_are_free(lab: Walk) -> None:
    """Each published port is its own: not the app's (CMP-5), not the daemon's TCP socket."""
    taken = {APP_PORT: "the app's port in the compose stack, which must stay closed (CMP-5)",
             lab.found.get("daemon.tcp_port"): "daemon.tcp_port"}
    for name, example in PUBLISHED_PORTS.items():
        port = lab.found.get(f"ports.{name}")
        if port is not None and port in taken:
            lab.add(f"ports.{name}", f"is {taken[port]} too ({port})",
                    f"use another port, e.g. {example}", port)
        elif port is not None:
            taken[port] = f"ports.{name}"


def registry_port_is_free(lab: Walk) -> None:
    """The student profile's registry listens on node1 beside the TP's published ports."""
    port = lab.found.get("student.registry_port")
    taken = {APP_PORT: "the app's port in the compose stack (CMP-3)",
             lab.found.get("daemon.tcp_port"): "daemon.tcp_port",
             **{lab.found.get(f"ports.{name}"): f"ports.{name}" for name in PUBLISHED_PORTS}}
    if port in taken:
        lab.add("student.registry_port", f"is {taken[port]} too ({port})",
                "use another port, e.g. 5050", port)


def basesize_fits_the_pool(lab: Walk) -> None:
    """The disk-fill test (SEC-5) must fill a container's disk, not the whole pool."""
    basesize = lab.found.get("security.dm_basesize")
    for node in (lab.found.get("nodes") or {}).values() if basesize else ():
        pool = node.disks.get("thinpool")
        if pool and 2 * size_bytes(basesize) > pool.bytes:
            lab.add("security.dm_basesize", f"is more than half of {node.name}'s thinpool disk "
                    f"({pool.size}): filling one container would fill the whole pool",
                    f"use a smaller dm_basesize, or a larger nodes.{node.name}.disks.thinpool",
                    basesize)


RULES: dict[str, Callable[[Walk], None]] = {
    "engine": engine_suits_distribution, "images": images_suit_distribution,
    "artifacts": artifacts_folder_exists,
    "boxes": box_is_configured, "nodes": addresses_share_one_network,
    "ports": ports_are_free, "security": basesize_fits_the_pool,
    "student": registry_port_is_free,
}


def load(path: Path | str = DEFAULT_PATH, environ: Mapping[str, str] = os.environ) -> Settings:
    """Read and check lab.yml and the LAB_* overrides; raise SettingsError listing every problem."""
    lab = Walk(Path(path), environ, ENVIRONMENT, RULES)
    lab.section("", SCHEMA, lab.read())
    if lab.problems:
        raise SettingsError(lab.problems)
    top = lab.found[""]
    del top["boxes"]  # read only for the box, which box_is_configured chose
    libvirt = top.pop("libvirt")
    return Settings(**top, box=lab.found["box"], libvirt_driver=libvirt["driver"],
                    libvirt_prefix=libvirt["prefix"])


def summary(settings: Settings, environ: Mapping[str, str] = os.environ) -> str:
    """A few lines for people: what `vagrant up` would bring up, and which LAB_* chose what."""
    def show(key: str) -> str:
        var, value = ENVIRONMENT[key], getattr(settings, key.replace(".", "_"))
        return f"{value or 'none: fetched from their official URLs'}" + (
            f"  (from {var})" if environ.get(var) else "")

    driver = f", driver {show('libvirt.driver')}" if settings.provider == "libvirt" else ""
    docker = f" {settings.versions.docker}" if settings.engine == "docker-ce" else ""
    lines = [f"profile       {show('profile')}", f"distribution  {show('distribution')}",
             f"provider      {show('provider')}{driver}",
             f"box           {show('box')}", f"engine        {show('engine')}{docker}",
             f"images        {show('images')}", f"artifacts     {show('artifacts')}",
             f"network       {settings.network.name} {settings.cidr}"]
    for node in settings.nodes.values():
        disks = ", ".join(f"{disk.name} {disk.size}" for disk in node.disks.values())
        lines.append(f"{node.name:<13} {node.ip}, {node.cpus} CPU, {node.memory} MiB, "
                     f"disks {disks}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=".venv/bin/python -m lab.settings",
        description="Check lab.yml and the LAB_* variables, and show the resolved settings.")
    parser.add_argument("--file", default=str(DEFAULT_PATH), help="the settings file "
                        "(default: lab.yml at the repository's root)")
    parser.add_argument("--json", action="store_true",
                        help="print the resolved settings as JSON (for the Vagrantfile)")
    args = parser.parse_args(argv)
    try:
        settings = load(args.file)
    except SettingsError as error:
        print(error, NOTHING_STARTED, sep="\n", file=sys.stderr)
        return 2
    print(json.dumps(settings.to_dict(), indent=2) if args.json else summary(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
