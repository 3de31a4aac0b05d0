"""The one loader of lab.yml, the lab's settings.

Everything that reads a name, a size, a version or an address of the lab gets
it from here: the Vagrantfile (through the command line below), the
provisioners and the acceptance suite (through `load()`).

>>> settings = load()
>>> settings.nodes["node1"].disks["thinpool"].size
'6G'
>>> settings.box
'generic/centos9s'

    $ .venv/bin/python -m lab.settings           # a short summary, for people
    $ .venv/bin/python -m lab.settings --json    # the resolved settings, for the Vagrantfile

The Vagrantfile runs this module on every `vagrant` command, so it imports
nothing but the standard library and PyYAML, and stays quick.
"""

from __future__ import annotations

import argparse
import difflib
import ipaddress
import json
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:
    import yaml
except ImportError:  # a Python without the project's requirements, e.g. the system's
    raise SystemExit(
        "lab.settings needs PyYAML, which the project's virtualenv has: run "
        "`.venv/bin/python -m lab.settings`, or make the venv first (README, 'Set up the host')."
    ) from None

REPO = Path(__file__).resolve().parent.parent
DEFAULT_PATH = REPO / "lab.yml"
# What `vagrant up` leaves for pyinfra and the acceptance suite (SSH details).
STATE_DIR = REPO / ".vagrant" / "lab"
# The lab's CA and certificates for Docker's TCP sockets (lab/pki.py).
PKI_DIR = STATE_DIR / "pki"


def seccomp_profile(tag: str) -> Path:
    """Moby's seccomp profile of release ``tag``, shipped in the repository (SEC-3)."""
    return REPO / "provision" / "seccomp" / f"{tag}.json"


def ssh_config_file(node: str) -> Path:
    """The OpenSSH client config the Vagrantfile writes for ``node`` once it is up."""
    return STATE_DIR / f"ssh-config.{node}"

DISTRIBUTIONS = ("centos-stream-9", "debian-12")
PROVIDERS = ("libvirt", "virtualbox")
ENGINES = ("docker-ce", "distribution")
IMAGES = ("hub", "offline")
LIBVIRT_DRIVERS = ("kvm", "qemu")

# The only variables that override lab.yml; an empty value counts as unset.
ENVIRONMENT = {
    "distribution": "LAB_DISTRIBUTION",
    "provider": "LAB_PROVIDER",
    "engine": "LAB_ENGINE",
    "images": "LAB_IMAGES",
    "artifacts": "LAB_ARTIFACTS",
    "libvirt.driver": "LAB_LIBVIRT_DRIVER",
    "box": "LAB_BOX",
}

TOP_KEYS = (
    "distribution", "provider", "engine", "images", "artifacts",
    "versions", "boxes", "libvirt", "network", "nodes", "daemon", "tp_images", "ports",
    "security",
)
SECURITY_KEYS = ("max_user_namespaces", "dm_basesize")
# The TP images must fit in a container's devicemapper disk (SEC-4).
MIN_DM_BASESIZE = "512M"
# node1 is the main Docker host (every TP section); node2 the second one (GUI-2).
MAIN_NODE = "node1"
PORT_KEYS = ("nginx", "front")
PORT_EXAMPLES = {"nginx": 8080, "front": 80}
# The app's own port in the compose stack: CMP-5 checks that it stays closed from outside.
APP_PORT = 5000
DAEMON_KEYS = ("data_root", "oom_score_adjust", "users", "tcp_port")
# Docker's own default oom_score_adj for dockerd; DCFG-4 wants the daemon below it.
DOCKER_DEFAULT_OOM_SCORE_ADJUST = -500
TP_IMAGE_KEYS = ("alpine", "nginx", "redis", "python")
IMAGE_REFERENCE = re.compile(r"^[a-z0-9][a-z0-9._/-]*:[A-Za-z0-9_][A-Za-z0-9_.-]*$")
USER_NAME = re.compile(r"^[a-z_][a-z0-9_-]*$")
VERSION_KEYS = ("docker", "containerd", "buildx", "compose", "rkt", "moby_seccomp")
NODE_KEYS = ("ip", "cpus", "memory", "disks")
DISK_NAMES = ("data", "thinpool")
# node1 carries the devicemapper thin pool (SEC-4); both nodes get /data (DCFG-3).
NODE_DISKS = {"node1": ("data", "thinpool"), "node2": ("data",)}
NODE_EXAMPLE_IP = {"node1": "192.168.56.11", "node2": "192.168.56.12"}
DISK_MINIMUM = {"data": "1G", "thinpool": "2G"}
MIN_MEMORY_MIB = 1024
# devicemapper, which SEC-4 needs, was removed from Docker Engine 25.
MAX_DOCKER_MAJOR = 24
# Docker's Engine 24 packages came beside containerd.io 1.6 (its static binaries carried
# containerd 1.7); the repository now resolves an unpinned containerd.io to 2.x, which
# no Engine 24 release was built or tested with.
MAX_CONTAINERD_MAJOR = 1

SIZE = re.compile(r"^([1-9][0-9]*)([MG])$")
VERSION = re.compile(r"^([0-9]+)\.([0-9]+)\.([0-9]+)$")
NETWORK_NAME = re.compile(r"^[a-z0-9-]+$")
UNIT_BYTES = {"M": 1024**2, "G": 1024**3}

NOTHING_STARTED = (
    "Nothing was started. Fix lab.yml (or the LAB_* variable) and run the command again."
)


class SettingsError(ValueError):
    """lab.yml (or a LAB_* variable) is wrong; the message lists every problem, one a line."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class Versions:
    docker: str
    containerd: str  # Docker's containerd.io package, which also brings runc
    buildx: str  # docker-buildx-plugin
    compose: str
    rkt: str
    moby_seccomp: str


@dataclass(frozen=True)
class Network:
    name: str
    prefix: int


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


@dataclass(frozen=True)
class Daemon:
    """The main dockerd's configuration (TP "Docker basics — 1. Basic configuration")."""

    data_root: str
    oom_score_adjust: int
    users: tuple[str, ...]  # put in group docker
    tcp_port: int  # docker-tcp.service, mutual TLS


@dataclass(frozen=True)
class Security:
    """TP "Docker basics — 4. Robust conf" (SEC-*)."""

    max_user_namespaces: int  # SEC-1: user.max_user_namespaces
    dm_basesize: str  # SEC-4/SEC-5: devicemapper's dm.basesize, each container's disk, e.g. "1G"


@dataclass(frozen=True)
class Settings:
    distribution: str
    provider: str
    engine: str
    images: str
    artifacts: Path | None
    versions: Versions
    box: str
    libvirt_driver: str
    libvirt_prefix: str  # of the lab's libvirt domains and volumes
    network: Network
    nodes: dict[str, Node]
    daemon: Daemon
    tp_images: dict[str, str]  # TP name (alpine, nginx, redis, python) -> image reference
    ports: dict[str, int]  # published on node1: nginx (OPS-6), front (CMP-3, CMP-5)
    security: Security

    @property
    def cidr(self) -> str:
        """The private network the nodes share, e.g. '192.168.56.0/24'."""
        first = next(iter(self.nodes.values()))
        return str(ipaddress.IPv4Interface(f"{first.ip}/{self.network.prefix}").network)

    def to_dict(self) -> dict[str, Any]:
        """The resolved settings as JSON-able data, in a stable order (for the Vagrantfile)."""
        network = ipaddress.IPv4Network(self.cidr)
        return {
            "distribution": self.distribution,
            "provider": self.provider,
            "box": self.box,
            "libvirt": {"driver": self.libvirt_driver, "prefix": self.libvirt_prefix},
            "engine": self.engine,
            "images": self.images,
            "artifacts": None if self.artifacts is None else str(self.artifacts),
            "versions": {key: getattr(self.versions, key) for key in VERSION_KEYS},
            "network": {
                "name": self.network.name,
                "prefix": self.network.prefix,
                "netmask": str(network.netmask),
                "cidr": self.cidr,
            },
            "state_dir": str(STATE_DIR),
            "daemon": {**vars(self.daemon), "users": list(self.daemon.users)},
            "tp_images": dict(self.tp_images),
            "ports": dict(self.ports),
            "security": vars(self.security),
            "nodes": {
                node.name: {
                    "ip": node.ip,
                    "cpus": node.cpus,
                    "memory": node.memory,
                    "ssh_config": str(ssh_config_file(node.name)),
                    "disks": [
                        {"name": d.name, "size": d.size, "gib": d.gib, "bytes": d.bytes}
                        for d in node.disks.values()
                    ],
                }
                for node in self.nodes.values()
            },
        }


_UNSET = object()


class _Problems:
    """Collects what is wrong, each line naming where the value came from and the fix."""

    def __init__(self, label: str):
        self.label = label
        self.lines: list[str] = []

    def add(self, key: str | None, problem: str, fix: str, value: Any = _UNSET,
            env: str | None = None) -> None:
        if env is not None:
            self.lines.append(f"{env}={value!r} (environment): {key} {problem}; {fix}")
        elif key is None:
            self.lines.append(f"{self.label}: {problem}; {fix}")
        elif value is _UNSET:
            self.lines.append(f"{self.label}: {key}: {problem}; {fix}")
        else:
            self.lines.append(f"{self.label}: {key}: {value!r} {problem}; {fix}")


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _is_int(value: Any) -> bool:
    # YAML's `yes` is a bool, and bool is an int to Python: not a count of CPUs.
    return isinstance(value, int) and not isinstance(value, bool)


def _bytes(size: str) -> int:
    number, unit = SIZE.match(size).groups()
    return int(number) * UNIT_BYTES[unit]


class _YamlLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """PyYAML's safe loader, except that a key given twice is an error, not a silent overwrite."""


def _mapping_without_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict:
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if isinstance(key, str | int | float | bool) and key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"the key {key!r} appears twice", key_node.start_mark)
        seen.add(key if isinstance(key, str | int | float | bool) else id(key_node))
    return loader.construct_mapping(node)


_YamlLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                            _mapping_without_duplicates)


class _Loader:
    def __init__(self, path: Path, environ: Mapping[str, str]):
        self.path = path
        self.environ = environ
        self.problems = _Problems(_display(path))
        # keys reported as a likely typo of another: not reported again as missing
        self.suggested: set[str] = set()

    def add(self, *args: Any, **kwargs: Any) -> None:
        self.problems.add(*args, **kwargs)

    def env(self, key: str) -> str | None:
        value = self.environ.get(ENVIRONMENT[key], "")
        return value or None

    def mapping(self, key: str, value: Any, allowed: tuple[str, ...], what: str) -> dict:
        """`value` as a dict with only `allowed` keys; reports the others."""
        if not isinstance(value, dict):
            self.add(key, f"is not a mapping of {what}",
                     f"write it as `{key.rsplit('.', 1)[-1]}:` followed by indented "
                     f"`name: value` lines, like the lab.yml in the repository",
                     value=value)
            return {}
        for name in value:
            if str(name) not in allowed:
                close = difflib.get_close_matches(str(name), allowed, n=1)
                fix = (f"did you mean {close[0]!r}?" if close
                       else f"remove it; the keys here are {', '.join(allowed)}")
                if close:
                    self.suggested.add(f"{key}.{close[0]}" if key else close[0])
                self.add(f"{key}.{name}" if key else str(name), "unknown key", fix)
        return {str(k): v for k, v in value.items() if str(k) in allowed}

    def required(self, data: dict, key: str, name: str, fix: str) -> Any:
        if name not in data or data[name] is None:
            full = f"{key}.{name}" if key else name
            if full not in self.suggested:
                self.add(full, "missing", fix)
            return _UNSET
        return data[name]

    def choice(self, data: dict, key: str, choices: tuple[str, ...]) -> str | None:
        """A setting that is one of `choices`, from its LAB_* variable or lab.yml."""
        env = self.env(key)
        name = key.rsplit(".", 1)[-1]
        if env is None:
            value = self.required(data, key.rsplit(".", 1)[0] if "." in key else "", name,
                                  f"add `{name}: {choices[0]}` (one of {', '.join(choices)})")
            if value is _UNSET:
                return None
        else:
            value = env
        if isinstance(value, str) and value in choices:
            return value
        close = difflib.get_close_matches(str(value), choices, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        if env is None:
            self.add(key, f"is not one of {', '.join(choices)}",
                     f"{hint}use one of them", value=value)
        else:
            self.add(key, f"is not one of {', '.join(choices)}",
                     f"{hint}set {ENVIRONMENT[key]} to one of them, or unset it to use lab.yml's",
                     value=value, env=ENVIRONMENT[key])
        return None

    def load(self) -> Settings:
        data = self.read()
        if data is None:
            raise SettingsError(self.problems.lines)
        data = self.mapping("", data, TOP_KEYS, "settings")

        distribution = self.choice(data, "distribution", DISTRIBUTIONS)
        provider = self.choice(data, "provider", PROVIDERS)
        engine = self.choice(data, "engine", ENGINES)
        images = self.choice(data, "images", IMAGES)
        if engine == "distribution" and distribution == "centos-stream-9":
            var = ENVIRONMENT["engine"] if self.env("engine") else None
            self.add("engine",
                     "is only available on debian-12 (CentOS Stream 9 has no distribution "
                     "Docker with devicemapper)",
                     f"{'set ' + var + '=docker-ce' if var else 'use docker-ce'}, or choose "
                     "distribution debian-12",
                     value=engine, env=var)
        artifacts = self.artifacts(data)
        versions = self.versions(data)
        box = self.box(data, distribution, provider)
        libvirt = data.get("libvirt")
        libvirt = {} if libvirt is None else self.mapping("libvirt", libvirt,
                                                          ("driver", "prefix"), "libvirt settings")
        driver = self.choice(libvirt, "libvirt.driver", LIBVIRT_DRIVERS)
        prefix = libvirt.get("prefix")
        if not (isinstance(prefix, str) and NETWORK_NAME.match(prefix)):
            self.add("libvirt.prefix", "is not a simple name (lower-case letters, digits, -)",
                     "use e.g. tp15- (domains become tp15-node1, tp15-node2)", value=prefix)
        network = self.network(data)
        nodes = self.nodes(data, network)
        daemon = self.daemon(data)
        tp_images = self.tp_images(data)
        ports = self.ports(data, daemon)
        security = self.security(data)
        if security and nodes:
            self.basesize_fits(security, nodes)

        if self.problems.lines:
            raise SettingsError(self.problems.lines)
        return Settings(
            distribution=distribution, provider=provider, engine=engine, images=images,
            artifacts=artifacts, versions=versions, box=box, libvirt_driver=driver,
            libvirt_prefix=prefix,
            network=network, nodes=nodes, daemon=daemon, tp_images=tp_images,
            ports=ports, security=security,
        )

    def read(self) -> Any:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            self.add(None, "not found",
                     "run the command from the repository's root, or restore lab.yml "
                     "with `git checkout lab.yml`")
            return None
        except (OSError, UnicodeDecodeError) as error:
            self.add(None, f"cannot be read ({error})", "check the file and its permissions")
            return None
        try:
            data = yaml.load(text, Loader=_YamlLoader)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            problem = getattr(error, "problem", None) or str(error).splitlines()[0]
            self.add(None, f"is not valid YAML{where} ({problem})",
                     "fix the syntax there (indent with spaces, `key: value`)")
            return None
        if not isinstance(data, dict):
            self.add(None, f"is not a mapping of settings (it holds {type(data).__name__})",
                     "write `key: value` lines, like the lab.yml in the repository")
            return None
        return data

    def artifacts(self, data: dict) -> Path | None:
        env = self.env("artifacts")
        value = env if env is not None else data.get("artifacts")
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.add("artifacts", "is not a folder name",
                     "give a folder, e.g. `artifacts: ../artifacts`, or null", value=value)
            return None
        folder = (self.path.resolve().parent / Path(value).expanduser()).resolve()
        if not folder.is_dir():
            var = ENVIRONMENT["artifacts"] if env is not None else None
            self.add("artifacts", f"is not an existing folder ({folder})",
                     "create it and put the artifacts there, or "
                     + (f"unset {var}" if var else "set artifacts to null")
                     + " to fetch them from their official URLs",
                     value=value, env=var)
            return None
        return folder

    def daemon(self, data: dict) -> Daemon | None:
        raw = self.required(data, "", "daemon", "add `daemon:` with data_root, oom_score_adjust, "
                            "users and tcp_port, like the lab.yml in the repository")
        if raw is _UNSET:
            return None
        raw = self.mapping("daemon", raw, DAEMON_KEYS, "daemon settings")
        values = {name: self.required(raw, "daemon", name, "add it, like the lab.yml in the "
                                      "repository") for name in DAEMON_KEYS}
        ok = _UNSET not in values.values()
        root = values["data_root"]
        if root is not _UNSET and not (isinstance(root, str) and root.startswith("/")
                                       and root != "/"):
            self.add("daemon.data_root", "is not an absolute path below /", "use /data",
                     value=root)
            ok = False
        oom = values["oom_score_adjust"]
        if oom is not _UNSET and not (_is_int(oom) and -1000 <= oom
                                      < DOCKER_DEFAULT_OOM_SCORE_ADJUST):
            self.add("daemon.oom_score_adjust",
                     f"must be an integer from -1000 to {DOCKER_DEFAULT_OOM_SCORE_ADJUST - 1}: "
                     f"below Docker's default ({DOCKER_DEFAULT_OOM_SCORE_ADJUST}) so that the "
                     "kernel kills containers before the daemon", "use e.g. -800", value=oom)
            ok = False
        users = values["users"]
        if users is not _UNSET and not (isinstance(users, list) and users and all(
                isinstance(u, str) and USER_NAME.match(u) for u in users)):
            self.add("daemon.users", "is not a list of user names", "use e.g. [vagrant]",
                     value=users)
            ok = False
        port = values["tcp_port"]
        if port is not _UNSET and not (_is_int(port) and 1 <= port <= 65535):
            self.add("daemon.tcp_port", "is not a TCP port", "use 2376 (Docker's TLS port)",
                     value=port)
            ok = False
        if not ok:
            return None
        return Daemon(data_root=root, oom_score_adjust=oom, users=tuple(users), tcp_port=port)

    def security(self, data: dict) -> Security | None:
        raw = self.required(data, "", "security", "add `security:` with "
                            "`max_user_namespaces: 15000` and `dm_basesize: 1G`")
        if raw is _UNSET:
            return None
        raw = self.mapping("security", raw, SECURITY_KEYS, "security settings")
        limit = self.required(raw, "security", "max_user_namespaces",
                              "add `max_user_namespaces: 15000`")
        basesize = self.required(raw, "security", "dm_basesize", "add `dm_basesize: 1G`")
        count = len(self.problems.lines)
        if limit is not _UNSET and not (_is_int(limit) and limit > 0):
            self.add("security.max_user_namespaces", "must be a whole number above 0 (0 "
                     "disables user namespaces, which userns-remap needs)", "use 15000",
                     value=limit)
        if basesize is not _UNSET and not (isinstance(basesize, str) and SIZE.match(basesize)):
            self.add("security.dm_basesize", "is not a size",
                     "write a whole number and M or G, e.g. 1G", value=basesize)
        elif basesize is not _UNSET and _bytes(basesize) < _bytes(MIN_DM_BASESIZE):
            self.add("security.dm_basesize", f"is too small: the TP's images must fit in a "
                     f"container's disk (at least {MIN_DM_BASESIZE})", "use e.g. 1G",
                     value=basesize)
        if limit is _UNSET or basesize is _UNSET or len(self.problems.lines) != count:
            return None
        return Security(max_user_namespaces=limit, dm_basesize=basesize)

    def basesize_fits(self, security: Security, nodes: dict[str, Node]) -> None:
        """The disk-fill test (SEC-5) must fill a container's disk, not the whole pool."""
        for node in nodes.values():
            pool = node.disks.get("thinpool")
            if pool and 2 * _bytes(security.dm_basesize) > pool.bytes:
                self.add("security.dm_basesize", f"is more than half of {node.name}'s thinpool "
                         f"disk ({pool.size}): filling one container would fill the whole pool",
                         "use a smaller dm_basesize, or a larger "
                         f"nodes.{node.name}.disks.thinpool", value=security.dm_basesize)

    def ports(self, data: dict, daemon: Daemon | None) -> dict[str, int] | None:
        raw = self.required(data, "", "ports", "add `ports:` with `nginx: 8080` and `front: 80`")
        if raw is _UNSET:
            return None
        raw = self.mapping("ports", raw, PORT_KEYS, "published ports")
        taken = {APP_PORT: "the app's port in the compose stack, which must stay closed (CMP-5)"}
        if daemon:
            taken[daemon.tcp_port] = "daemon.tcp_port"
        found = {}
        for name in PORT_KEYS:
            example = PORT_EXAMPLES[name]
            value = self.required(raw, "ports", name, f"add `{name}: {example}`")
            if value is _UNSET:
                continue
            if not (_is_int(value) and 1 <= value <= 65535):
                self.add(f"ports.{name}", "is not a TCP port", f"use e.g. {example}", value=value)
            elif value in taken:
                self.add(f"ports.{name}", f"is {taken[value]} too ({value})",
                         f"use another port, e.g. {example}", value=value)
            else:
                found[name] = value
                taken[value] = f"ports.{name}"
        return found if len(found) == len(PORT_KEYS) else None

    def tp_images(self, data: dict) -> dict[str, str] | None:
        raw = self.required(data, "", "tp_images", "add `tp_images:` with alpine, nginx, redis "
                            "and python, like the lab.yml in the repository")
        if raw is _UNSET:
            return None
        raw = self.mapping("tp_images", raw, TP_IMAGE_KEYS, "image references")
        found = {}
        for name in TP_IMAGE_KEYS:
            value = self.required(raw, "tp_images", name, f"add `{name}: {name}:latest`")
            if value is _UNSET:
                continue
            if not (isinstance(value, str) and IMAGE_REFERENCE.match(value)):
                self.add(f"tp_images.{name}", "is not an image reference NAME:TAG",
                         f"use e.g. {name}:latest", value=value)
                continue
            found[name] = value
        return found if len(found) == len(TP_IMAGE_KEYS) else None

    def versions(self, data: dict) -> Versions | None:
        raw = self.required(data, "", "versions",
                            'add `versions:` with docker: "24.0.9", containerd, buildx, compose, '
                            'rkt and moby_seccomp')
        if raw is _UNSET:
            return None
        raw = self.mapping("versions", raw, VERSION_KEYS, "versions")
        examples = {"docker": "24.0.9", "containerd": "1.6.28", "buildx": "0.12.1",
                    "compose": "2.27.0", "rkt": "1.29.0", "moby_seccomp": "v20.10.24"}
        found = {}
        for name in VERSION_KEYS:
            key = f"versions.{name}"
            example = examples[name]
            value = self.required(raw, "versions", name, f'add `{name}: "{example}"`')
            if value is _UNSET:
                continue
            if not isinstance(value, str):
                kind = "number" if isinstance(value, (int, float)) else type(value).__name__
                self.add(key, f"is a {kind}, not a string (YAML reads an unquoted version "
                         "as a number)",
                         f'quote it, e.g. {name}: "{example}"', value=value)
                continue
            match = VERSION.match(value)
            if name == "moby_seccomp":
                if not seccomp_profile(value).is_file():
                    shipped = sorted(p.stem for p in seccomp_profile("x").parent.glob("*.json"))
                    self.add(key, f"has no profile {seccomp_profile(value).relative_to(REPO)} "
                             "in the repository",
                             f"use one of {', '.join(shipped)} (provision/seccomp/README.md "
                             "says how to add another)", value=value)
                    continue
            elif not match:
                self.add(key, "does not look like X.Y.Z", f'use e.g. "{example}"', value=value)
                continue
            if name == "docker" and int(match.group(1)) > MAX_DOCKER_MAJOR:
                self.add(key, "is Docker Engine 25 or later, which removed the devicemapper "
                         "storage driver the TP needs (SEC-4)",
                         f'pin a 24.x release, e.g. "{example}"', value=value)
                continue
            if name == "containerd" and int(match.group(1)) > MAX_CONTAINERD_MAJOR:
                self.add(key, "is containerd 2 or later, which Docker Engine 24 never shipped "
                         "with (versions.docker)",
                         f'pin the containerd.io 1.6 that Engine 24 shipped with, e.g. "{example}"',
                         value=value)
                continue
            found[name] = value
        if len(found) != len(VERSION_KEYS):
            return None
        return Versions(**found)

    def box(self, data: dict, distribution: str | None, provider: str | None) -> str | None:
        boxes = data.get("boxes")
        if boxes is not None:
            boxes = self.mapping("boxes", boxes, DISTRIBUTIONS, "boxes per distribution")
            for name, per_provider in boxes.items():
                if per_provider is not None:
                    boxes[name] = self.mapping(f"boxes.{name}", per_provider, PROVIDERS,
                                               "boxes per provider")
                    for prov, box in boxes[name].items():
                        if not isinstance(box, str) or not box.strip():
                            self.add(f"boxes.{name}.{prov}", "is not a box name",
                                     "give a Vagrant box, e.g. generic/centos9s", value=box)
        env = self.env("box")
        if env is not None:
            return env
        if distribution is None or provider is None:
            return None
        box = ((boxes or {}).get(distribution) or {}).get(provider)
        if box is None:
            self.add(f"boxes.{distribution}.{provider}",
                     f"missing: no box is configured for {distribution} on {provider}",
                     "add one there, or set LAB_BOX to a box name")
        return box if isinstance(box, str) and box.strip() else None

    def network(self, data: dict) -> Network | None:
        raw = self.required(data, "", "network", "add `network:` with `name: tp15-lab` and "
                            "`prefix: 24`")
        if raw is _UNSET:
            return None
        raw = self.mapping("network", raw, ("name", "prefix"), "network settings")
        name = self.required(raw, "network", "name", "add `name: tp15-lab`")
        prefix = self.required(raw, "network", "prefix", "add `prefix: 24`")
        ok = True
        if name is not _UNSET and not (isinstance(name, str) and NETWORK_NAME.match(name)):
            self.add("network.name", "is not a simple name (lower-case letters, digits, -)",
                     "use e.g. tp15-lab", value=name)
            ok = False
        if prefix is not _UNSET and not (_is_int(prefix) and 8 <= prefix <= 30):
            self.add("network.prefix", "is not a prefix length between 8 and 30",
                     "use e.g. 24 (a /24 network like 192.168.56.0/24)", value=prefix)
            ok = False
        if not ok or name is _UNSET or prefix is _UNSET:
            return None
        return Network(name=name, prefix=prefix)

    def nodes(self, data: dict, network: Network | None) -> dict[str, Node] | None:
        raw = self.required(data, "", "nodes", "add `nodes:` with node1 and node2")
        if raw is _UNSET:
            return None
        raw = self.mapping("nodes", raw, tuple(NODE_DISKS), "nodes")
        nodes: dict[str, Node] = {}
        for name, disks in NODE_DISKS.items():
            if name not in raw:
                self.add(f"nodes.{name}", "missing",
                         f"add {name} with ip, cpus, memory and disks ({', '.join(disks)})")
                continue
            node = self.node(name, raw[name])
            if node is not None:
                nodes[name] = node
        if len(nodes) != len(NODE_DISKS):
            return None
        if network is not None and not self.addresses(nodes, network):
            return None
        return nodes

    def node(self, name: str, raw: Any) -> Node | None:
        key = f"nodes.{name}"
        if not isinstance(raw, dict):
            self.add(key, "is not a mapping of node settings",
                     f"give {name} indented lines ip, cpus, memory and disks", value=raw)
            return None
        raw = self.mapping(key, raw, NODE_KEYS, "node settings")
        count = len(self.problems.lines)
        ip = self.required(raw, key, "ip", f"add `ip: {NODE_EXAMPLE_IP[name]}`")
        cpus = self.required(raw, key, "cpus", "add `cpus: 1`")
        memory = self.required(raw, key, "memory", "add `memory: 2048` (MiB)")
        disks = self.required(raw, key, "disks", "add `disks:` with "
                              + ", ".join(f"`{d}: 4G`" for d in NODE_DISKS[name]))
        if ip is not _UNSET:
            try:
                ipaddress.IPv4Address(ip if isinstance(ip, str) else "")
            except ValueError:
                self.add(f"{key}.ip", "is not an IPv4 address",
                         f"use e.g. {NODE_EXAMPLE_IP[name]}", value=ip)
        if cpus is not _UNSET and not (_is_int(cpus) and cpus >= 1):
            self.add(f"{key}.cpus", "is not a whole number of CPUs, at least 1",
                     "use e.g. 1", value=cpus)
        if memory is not _UNSET and not (_is_int(memory) and memory >= MIN_MEMORY_MIB):
            self.add(f"{key}.memory",
                     f"is not a whole number of MiB, at least {MIN_MEMORY_MIB}",
                     "use e.g. 2048 (no unit: the number is MiB)", value=memory)
        found = {} if disks is _UNSET else self.disks(name, disks)
        if len(self.problems.lines) != count or found is None:
            return None
        return Node(name=name, ip=ip, cpus=cpus, memory=memory, disks=found)

    def disks(self, node: str, raw: Any) -> dict[str, Disk] | None:
        key = f"nodes.{node}.disks"
        raw = self.mapping(key, raw, DISK_NAMES, "disks (name: size)")
        found: dict[str, Disk] = {}
        for name in DISK_NAMES:
            if name not in raw:
                if name in NODE_DISKS[node]:
                    self.add(f"{key}.{name}", "missing",
                             f"add `{name}: {DISK_MINIMUM[name]}` or larger")
                continue
            size = raw[name]
            if not (isinstance(size, str) and SIZE.match(size)):
                self.add(f"{key}.{name}", "is not a size",
                         "write a whole number and M or G, e.g. 4G or 512M", value=size)
                continue
            if _bytes(size) < _bytes(DISK_MINIMUM[name]):
                self.add(f"{key}.{name}", f"is too small: {name} needs at least "
                         f"{DISK_MINIMUM[name]}", f"use e.g. {DISK_MINIMUM[name]} or more",
                         value=size)
                continue
            found[name] = Disk(name=name, size=size, bytes=_bytes(size))
        return found

    def addresses(self, nodes: dict[str, Node], network: Network) -> bool:
        first = next(iter(nodes.values()))
        net = ipaddress.IPv4Interface(f"{first.ip}/{network.prefix}").network
        count = len(self.problems.lines)
        seen: dict[str, str] = {}
        for index, node in enumerate(nodes.values()):
            key = f"nodes.{node.name}.ip"
            address = ipaddress.IPv4Address(node.ip)
            example = str(net.network_address + 11 + index) if net.num_addresses > 16 \
                else NODE_EXAMPLE_IP[node.name]
            if address not in net:
                self.add(key, f"is not in {first.name}'s network {net} "
                         f"(network.prefix is {network.prefix})",
                         f"put both nodes in one network, e.g. {example}", value=node.ip)
            elif node.ip in seen:
                self.add(key, f"is also {seen[node.ip]}'s address",
                         f"give each node its own, e.g. {example}", value=node.ip)
            elif address == net.network_address:
                self.add(key, f"is the address of the network {net} itself",
                         f"use a host address, e.g. {example}", value=node.ip)
            elif address == net.broadcast_address:
                self.add(key, f"is the broadcast address of {net}",
                         f"use a host address, e.g. {example}", value=node.ip)
            elif address == net.network_address + 1:
                self.add(key, f"is the .1 of {net}, which the provider gives to the host side",
                         f"use another address, e.g. {example}", value=node.ip)
            seen.setdefault(node.ip, node.name)
        return len(self.problems.lines) == count


def load(path: Path | str = DEFAULT_PATH, environ: Mapping[str, str] = os.environ) -> Settings:
    """Read and check lab.yml and the LAB_* overrides; raise SettingsError listing every problem."""
    return _Loader(Path(path), environ).load()


def summary(settings: Settings, environ: Mapping[str, str] = os.environ) -> str:
    """A few lines for people: what `vagrant up` would bring up."""
    def origin(key: str) -> str:
        var = ENVIRONMENT[key]
        return f"  (from {var})" if environ.get(var) else ""

    lines = [
        f"distribution  {settings.distribution}{origin('distribution')}",
        f"provider      {settings.provider}{origin('provider')}"
        + (f", driver {settings.libvirt_driver}{origin('libvirt.driver')}"
           if settings.provider == "libvirt" else ""),
        f"box           {settings.box}{origin('box')}",
        f"engine        {settings.engine}{origin('engine')}"
        + (f" {settings.versions.docker}" if settings.engine == "docker-ce" else ""),
        f"images        {settings.images}{origin('images')}",
        f"artifacts     {settings.artifacts or 'none: fetched from their official URLs'}"
        + origin("artifacts"),
        f"network       {settings.network.name} {settings.cidr}",
    ]
    for node in settings.nodes.values():
        disks = ", ".join(f"{d.name} {d.size}" for d in node.disks.values())
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
        print(error, file=sys.stderr)
        print(NOTHING_STARTED, file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(settings.to_dict(), indent=2))
    else:
        print(summary(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
