"""What differs between the lab's distributions, and nothing else.

The TP is written for CentOS (dnf, Docker's docker-ce repository, firewalld,
SELinux enforcing); the lab also runs on Debian 12, where an offline lab takes
Docker from Debian itself (``engine: distribution`` in lab.yml). Sections ask
this module for package names, repositories, holds, open ports and file labels;
they never test the distribution themselves.

    >>> from lab.settings import load
    >>> settings = load(environ={})                    # lab.yml: engine docker-ce
    >>> offline = load(environ={"LAB_DISTRIBUTION": "debian-12", "LAB_ENGINE": "distribution"})
    >>> PLATFORMS["centos-stream-9"].docker_packages(settings)
    ['docker-ce=24.0.9-1.el9', 'docker-ce-cli=24.0.9-1.el9', 'containerd.io=1.6.28-3.1.el9',
     'docker-buildx-plugin=0.12.1-1.el9', 'docker-compose-plugin=2.27.0-1.el9']
    >>> PLATFORMS["debian-12"].docker_packages(settings)[:3]
    ['docker-ce=5:24.0.9-1~debian.12~bookworm', 'docker-ce-cli=5:24.0.9-1~debian.12~bookworm',
     'containerd.io=1.6.28-1']
    >>> PLATFORMS["debian-12"].docker_packages(offline)           # engine: distribution
    ['docker.io', 'containerd', 'runc', 'apparmor']

Where the host's state decides, a fact reads it and a pure function turns it
into the commands a student would type (tests/test_centos.py feeds them
recorded outputs); the operations here only join the two.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pyinfra import host
from pyinfra.api import FactBase, operation
from pyinfra.api.exceptions import DeployError
from pyinfra.facts.rpm import RpmPackages
from pyinfra.facts.server import LinuxDistribution
from pyinfra.operations import apt, dnf, files, server

from lab.settings import Settings

# dnf's plugin that holds packages at a version (`dnf versionlock`), not in a minimal box.
VERSIONLOCK_PLUGIN = "python3-dnf-plugin-versionlock"
# The data root whose labels container-selinux's policy defines.
DOCKER_DEFAULT_ROOT = "/var/lib/docker"


@dataclass(frozen=True)
class Platform:
    """One supported distribution: its package manager and Docker's packaging there."""

    name: str
    package_manager: str  # "apt" or "dnf"
    # Docker's package versions carry a distribution suffix (and an epoch on Debian).
    docker_version_format: str
    containerd_version_format: str
    plugin_version_format: str  # Docker's CLI plugins: compose, buildx
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
    # The plain-HTTP registry that serves rkt its alpine (provision/registry.py): Debian
    # packages Docker's registry; CentOS Stream 9's repositories have none, so there the
    # lab runs Docker's registry image.
    registry_package: str | None = None
    # rkt under SELinux (rkt's Documentation/selinux.md): rkt runs each pod in a context
    # made from /etc/selinux/POLICY/contexts/lxc_contexts (container_t, its files
    # container_file_t), which container-selinux defines; without that file rkt performs
    # no SELinux transition at all. Docker's packages need it too; rkt's section says so.
    rkt_packages: tuple[str, ...] = ()
    # What `dnf versionlock` needs; apt-mark is part of apt.
    hold_packages: tuple[str, ...] = ()
    # CentOS enforces SELinux (semanage comes with policycoreutils-python-utils) and runs
    # firewalld; Debian has neither.
    selinux: bool = False
    selinux_packages: tuple[str, ...] = ()
    firewalld: bool = False

    def docker_packages(self, settings: Settings) -> list[str]:
        """Docker Engine's packages, pinned, as the TP's "install classique de docker-ce"."""
        if settings.engine == "distribution":
            return ["docker.io", "containerd", "runc", *self.docker_companions]
        engine = self.docker_version_format.format(settings.versions.docker)
        buildx = self.plugin_version_format.format(settings.versions.buildx)
        compose = self.plugin_version_format.format(settings.versions.compose)
        return [
            f"docker-ce={engine}",
            f"docker-ce-cli={engine}",
            self._containerd_io(settings),
            f"docker-buildx-plugin={buildx}",
            f"docker-compose-plugin={compose}",
            *self.docker_companions,
        ]

    def _containerd_io(self, settings: Settings) -> str:
        version = self.containerd_version_format.format(settings.versions.containerd)
        return f"containerd.io={version}"

    def runc_packages(self, settings: Settings) -> list[str]:
        """The package that brings ``runc``.

        Docker's ``containerd.io`` ships its own ``/usr/bin/runc`` and conflicts
        with the distribution's ``runc`` package, so a docker-ce host takes runc
        from containerd.io (pinned: the first install decides its version).
        """
        return ["runc"] if settings.engine == "distribution" else [self._containerd_io(settings)]

    def compose_packages(self, settings: Settings) -> list[str]:
        """Compose (CMP-1): Docker's ``docker-compose-plugin``, pinned, beside docker-ce;
        the distribution's ``docker-compose`` (1.29 on Debian 12) beside its docker.io."""
        if settings.engine == "distribution":
            return ["docker-compose"]
        return [f"docker-compose-plugin="
                f"{self.plugin_version_format.format(settings.versions.compose)}"]

    def kernel_argument_command(self, argument: str) -> str:
        """RKT-5 — adds ``argument`` to every kernel's command line for the next boots, the
        distribution's way.

        >>> print(PLATFORMS["centos-stream-9"].kernel_argument_command("quiet"))
        grubby --update-kernel=ALL --args=quiet
        """
        if self.package_manager == "dnf":
            return f"grubby --update-kernel=ALL --args={argument}"
        return (f"grep -q '^GRUB_CMDLINE_LINUX=.*{argument}' /etc/default/grub || "
                f"sed -i 's/^GRUB_CMDLINE_LINUX=\"/&{argument} /' /etc/default/grub && "
                "update-grub")

    def held_packages(self, settings: Settings) -> list[str]:
        """Docker's pinned packages, which ``dnf upgrade`` / ``apt upgrade`` must not move
        (Engine 25 has no devicemapper: dockerd would not start on node1). None beside the
        distribution's docker.io, which Debian 12 keeps at 20.10."""
        if settings.engine == "distribution":
            return []
        return [spec for spec in self.docker_packages(settings) if "=" in spec]


PLATFORMS = {
    "centos-stream-9": Platform(
        name="centos-stream-9",
        package_manager="dnf",
        docker_version_format="{}-1.el9",
        containerd_version_format="{}-3.1.el9",
        plugin_version_format="{}-1.el9",
        docker_repo="https://download.docker.com/linux/centos/docker-ce.repo",
        thin_pool_packages=("lvm2", "device-mapper-persistent-data"),
        hold_packages=(VERSIONLOCK_PLUGIN,),
        selinux=True,
        selinux_packages=("policycoreutils-python-utils",),
        rkt_packages=("container-selinux",),
        firewalld=True,
    ),
    "debian-12": Platform(
        name="debian-12",
        package_manager="apt",
        docker_version_format="5:{}-1~debian.12~bookworm",
        containerd_version_format="{}-1",
        plugin_version_format="{}-1~debian.12~bookworm",
        docker_repo=(
            "deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] "
            "https://download.docker.com/linux/debian bookworm stable"
        ),
        docker_repo_key="https://download.docker.com/linux/debian/gpg",
        docker_companions=("apparmor",),
        thin_pool_packages=("lvm2", "thin-provisioning-tools"),
        registry_package="docker-registry",
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


# --- Packages -------------------------------------------------------------------------

# CentOS Stream 9 images carry curl-minimal, which conflicts with curl: `dnf install curl`
# stops there unless told --allowerasing; `dnf swap` replaces one with the other.
MINIMAL_VARIANTS = {"curl": "curl-minimal"}


def dnf_install_command(packages: list[str], installed: dict[str, set[str]],
                        locked: dict[str, set[str]] | None = None) -> str | None:
    """The ``dnf install`` a student would type for what is missing, or None.

    Pinned packages are written ``name=version`` (as for apt) and installed the
    way Docker's documentation does it, ``dnf install docker-ce-24.0.9-1.el9``.
    ``locked`` is what ``dnf versionlock`` holds (VersionLocks).

        >>> dnf_install_command(["docker-ce=24.0.9-1.el9", "containerd.io=1.6.28-3.1.el9"],
        ...                     {"containerd.io": {"1.6.28-3.1.el9"}})
        'dnf install -y docker-ce-24.0.9-1.el9'
    """
    missing, past_a_lock = [], False
    for spec in packages:
        name, _, version = spec.partition("=")
        versions = installed.get(name, set())
        if not versions or (version and version not in versions):
            missing.append(f"{name}-{version}" if version else name)
            past_a_lock |= bool(version) and (locked or {}).get(name, {version}) != {version}
    if not missing:
        return None
    # A new pin in lab.yml: the lock hold_docker_packages left hides every other version
    # from dnf ("No match for argument"); it is moved to the new pin right after.
    flags = " --disableplugin=versionlock" if past_a_lock else ""
    return f"dnf install -y{flags} {' '.join(missing)}"


def dnf_install_commands(packages: list[str], installed: dict[str, set[str]],
                         locked: dict[str, set[str]] | None = None) -> list[str]:
    """What a student types on CentOS for what is missing: ``dnf swap`` where a minimal
    variant stands in the way, ``dnf install`` for the rest.

        >>> dnf_install_commands(["curl"], {"curl-minimal": {"7.76.1-31.el9"}})
        ['dnf swap -y curl-minimal curl']
        >>> dnf_install_commands(["curl"], {})
        ['dnf install -y curl']
    """
    swaps, rest = [], []
    for spec in packages:
        minimal = MINIMAL_VARIANTS.get(spec)
        if minimal and spec not in installed and minimal in installed:
            swaps.append(f"dnf swap -y {minimal} {spec}")
        else:
            rest.append(spec)
    install = dnf_install_command(rest, installed, locked)
    return swaps + ([install] if install else [])


def install_packages(platform: Platform, packages: list[str], name: str) -> None:
    """Install ``packages`` with the distribution's package manager (idempotent)."""
    pinned = any("=" in spec for spec in packages)
    if platform.package_manager == "apt":
        # apt moves a package hold_docker_packages held only when told: a new pin in lab.yml.
        apt.packages(name=name, packages=packages, update=True, cache_time=3600,
                     no_recommends=True,
                     extra_install_args="--allow-change-held-packages" if pinned else None)
        return
    # pyinfra's dnf.packages would pass `name=version` to dnf, which wants name-version.
    commands = dnf_install_commands(packages, host.get_fact(RpmPackages),
                                    host.get_fact(VersionLocks) if pinned else None)
    if commands:
        server.shell(name=name, commands=commands)
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


# --- Holding the pinned engine ---------------------------------------------------------

# A lock as `dnf versionlock list` prints it: NAME-[EPOCH:]VERSION-RELEASE.* (any arch).
_LOCK = re.compile(r"^(?P<name>.+)-(?:\d+:)?(?P<version>[^-:]+)-(?P<release>[^-]+)\.\*$")


class VersionLocks(FactBase):
    """The versions ``dnf versionlock list`` holds packages at:
    ``{"docker-ce": {"24.0.9-1.el9"}, …}``; empty while the plugin, which does the
    holding, is not installed (nothing is held then)."""

    default = dict

    def command(self) -> str:
        return "dnf versionlock list"

    def check_preconditions(self, state, host) -> str | None:
        # Without its plugin dnf has no `versionlock` command: the fact would fail, not
        # say "nothing held". Before the plugin's install (prepare) pyinfra takes default().
        if VERSIONLOCK_PLUGIN not in host.get_fact(RpmPackages):
            return f"{VERSIONLOCK_PLUGIN} is not installed"
        return None

    def process(self, output: list[str]) -> dict[str, set[str]]:
        locked: dict[str, set[str]] = {}
        for line in output:
            # dnf's own lines ("Last metadata expiration check: …") and exclusions ("!…")
            # are not locks.
            match = _LOCK.match(line.strip())
            if match:
                locked.setdefault(match["name"], set()).add(
                    f"{match['version']}-{match['release']}")
        return locked


class HeldPackages(FactBase):
    """The packages ``apt-mark showhold`` lists."""

    default = list

    def requires_command(self) -> str:
        return "apt-mark"

    def command(self) -> str:
        return "apt-mark showhold"

    def process(self, output: list[str]) -> list[str]:
        return [line.strip() for line in output if line.strip()]


def versionlock_commands(packages: list[str], locked: dict[str, set[str]]) -> list[str]:
    """``dnf versionlock add`` for the pinned ``packages`` (``name=version``) not held at
    their version; a hold at another version (an older pin) is deleted first.

        >>> versionlock_commands(["docker-ce=24.0.9-1.el9"], {})
        ['dnf versionlock add docker-ce-24.0.9-1.el9']
        >>> versionlock_commands(["docker-ce=24.0.9-1.el9"], {"docker-ce": {"24.0.9-1.el9"}})
        []
    """
    wanted = [(name, version) for name, _, version in (spec.partition("=") for spec in packages)]
    stale = [name for name, version in wanted if locked.get(name, {version}) != {version}]
    missing = [f"{name}-{version}" for name, version in wanted if locked.get(name) != {version}]
    commands = [f"dnf versionlock delete {' '.join(stale)}"] if stale else []
    return commands + ([f"dnf versionlock add {' '.join(missing)}"] if missing else [])


def apt_hold_command(packages: list[str], held: list[str]) -> str | None:
    """``apt-mark hold`` for the ``packages`` (``name=version``) not held yet, or None.

        >>> apt_hold_command(["docker-ce=5:24.0.9-1~debian.12~bookworm"], [])
        'apt-mark hold docker-ce'
    """
    missing = [name for name in (spec.partition("=")[0] for spec in packages)
               if name not in held]
    return f"apt-mark hold {' '.join(missing)}" if missing else None


@operation()
def versionlock(packages: list[str]):
    """``dnf versionlock add NAME-VERSION …`` for what is not held at its pin yet."""
    commands = versionlock_commands(packages, host.get_fact(VersionLocks))
    if not commands:
        host.noop(f"{', '.join(packages)} held at their versions")
    yield from commands


@operation()
def apt_hold(packages: list[str]):
    """``apt-mark hold NAME …`` for what is not held yet."""
    command = apt_hold_command(packages, host.get_fact(HeldPackages))
    if command:
        yield command
    else:
        host.noop(f"{', '.join(packages)} held")


def hold_docker_packages(platform: Platform, settings: Settings) -> None:
    """RUNC-2 — the pinned engine stays pinned: ``dnf versionlock add docker-ce-24.0.9-1.el9
    …`` / ``apt-mark hold docker-ce …``, so that a student's ``dnf upgrade`` does not take
    Docker to 25+, where devicemapper is gone and dockerd would not start (SEC-4)."""
    packages = platform.held_packages(settings)
    if not packages:
        return
    if platform.package_manager == "apt":
        apt_hold(packages=packages, name="apt-mark hold Docker's pinned packages (RUNC-2)")
        return
    install_packages(platform, list(platform.hold_packages),
                     name="Install dnf's versionlock plugin (RUNC-2)")
    versionlock(packages=packages, name="dnf versionlock add Docker's pinned packages (RUNC-2)")


# --- firewalld ---------------------------------------------------------------------------


class FirewalldPorts(FactBase):
    """Whether firewalld runs, and the ports it opens (``firewall-cmd --list-ports``):
    ``{"active": True, "ports": ["2376/tcp", "8080/tcp"]}``."""

    @staticmethod
    def default() -> dict:
        return {"active": False, "ports": []}

    def command(self) -> str:
        # Only a firewalld that does not run means "no firewall": a firewall-cmd failure
        # on a running one fails the fact instead of reading as "nothing to open".
        return ('state=$(systemctl is-active firewalld); echo "$state"; '
                'if [ "$state" = active ]; then firewall-cmd --list-ports; fi')

    def process(self, output: list[str]) -> dict:
        state, *ports = output
        return {"active": state.strip() == "active", "ports": " ".join(ports).split()}


def port_is_open(port: int, opened: list[str]) -> bool:
    """Whether TCP ``port`` is among firewalld's ``opened`` ports (``80/tcp``, ranges
    ``8000-8100/tcp``).

        >>> port_is_open(8080, ["2376/tcp", "8000-8100/tcp"])
        True
    """
    for entry in opened:
        ports, _, protocol = entry.partition("/")
        low, _, high = ports.partition("-")
        if protocol == "tcp" and int(low) <= port <= int(high or low):
            return True
    return False


def open_port_commands(port: int, firewall: dict) -> list[str]:
    """What opens TCP ``port`` in a running firewalld (FirewalldPorts), for good.

        >>> open_port_commands(2376, {"active": True, "ports": []})
        ['firewall-cmd --permanent --add-port=2376/tcp', 'firewall-cmd --reload']
        >>> open_port_commands(2376, {"active": False, "ports": []})
        []
    """
    if not firewall["active"] or port_is_open(port, firewall["ports"]):
        return []
    return [f"firewall-cmd --permanent --add-port={port}/tcp", "firewall-cmd --reload"]


@operation()
def firewalld_port(port: int):
    """``firewall-cmd --permanent --add-port=PORT/tcp`` and ``--reload``, unless open."""
    firewall = host.get_fact(FirewalldPorts)
    commands = open_port_commands(port, firewall)
    if not commands:
        host.noop(f"port {port}/tcp is open" if firewall["active"]
                  else "firewalld is not running")
    yield from commands


def open_port(platform: Platform, port: int, requirement: str | None = None) -> None:
    """Let the host machine reach ``port`` (DCFG-6: 2376, OPS-6: 8080, CMP-5: 80): CentOS
    runs firewalld (``firewall-cmd --permanent --add-port=2376/tcp``); Debian has no
    firewall."""
    if not platform.firewalld:
        return
    why = f" ({requirement})" if requirement else ""
    firewalld_port(port=port, name=f"Open port {port}/tcp in firewalld{why}")


# --- SELinux -----------------------------------------------------------------------------


class SELinuxMode(FactBase):
    """``getenforce``: ``Enforcing``, ``Permissive`` or ``Disabled``; None without
    SELinux's tools."""

    def requires_command(self) -> str:
        return "getenforce"

    def command(self) -> str:
        return "getenforce"

    def process(self, output: list[str]) -> str:
        return output[0].strip()


class FcontextEquivalences(FactBase):
    """The local equivalences ``semanage fcontext -l -C`` lists, by target:
    ``{"/data": "/var/lib/docker"}``."""

    default = dict

    def requires_command(self) -> str:
        # Before policycoreutils-python-utils (prepare) there is no local rule yet.
        return "semanage"

    def command(self) -> str:
        return "semanage fcontext -l -C"

    def process(self, output: list[str]) -> dict[str, str]:
        pairs = (line.split(" = ", 1) for line in output if " = " in line)
        return {target.strip(): source.strip() for target, source in pairs}


class MislabeledFiles(FactBase):
    """The files under ``paths`` whose label is not the policy's, from restorecon's dry
    run ``restorecon -R -n -v -i PATHS`` ("Would relabel PATH from … to …"); paths that do
    not exist (yet) are left out."""

    default = list

    def requires_command(self, paths: list[str]) -> str:
        return "restorecon"

    def command(self, paths: list[str]) -> str:
        return f"restorecon -R -n -v -i {' '.join(paths)}"

    def process(self, output: list[str]) -> list[str]:
        return [line.split()[2] for line in output if line.startswith("Would relabel ")]


def labels_files(mode: str | None) -> bool:
    """Whether SELinux labels files here: enforcing, or permissive (which logs what
    enforcing would deny, so the labels still matter)."""
    return mode in ("Enforcing", "Permissive")


def equivalence_commands(path: str, source: str, equivalences: dict[str, str]) -> list[str]:
    """``semanage fcontext -a -e SOURCE PATH`` (``-m`` over another equivalence), then
    ``restorecon -R PATH``, unless ``semanage fcontext -l -C`` has it already.

        >>> equivalence_commands("/data", "/var/lib/docker", {})
        ['semanage fcontext -a -e /var/lib/docker /data', 'restorecon -R /data']
        >>> equivalence_commands("/data", "/var/lib/docker", {"/data": "/var/lib/docker"})
        []
    """
    if equivalences.get(path) == source:
        return []
    action = "-m" if path in equivalences else "-a"
    return [f"semanage fcontext {action} -e {source} {path}", f"restorecon -R {path}"]


def relabel_command(paths: list[str], mislabeled: list[str]) -> str | None:
    """``restorecon -R -v -i PATHS`` when restorecon's dry run found ``mislabeled`` files.

        >>> relabel_command(["/etc/docker"], ["/etc/docker/daemon.json"])
        'restorecon -R -v -i /etc/docker'
    """
    return f"restorecon -R -v -i {' '.join(paths)}" if mislabeled else None


@operation()
def fcontext_equivalence(path: str, source: str):
    """``semanage fcontext -a -e SOURCE PATH`` and ``restorecon -R PATH``, once."""
    if not labels_files(host.get_fact(SELinuxMode)):
        host.noop("SELinux is disabled")
        return
    commands = equivalence_commands(path, source, host.get_fact(FcontextEquivalences))
    if not commands:
        host.noop(f"{path} is labelled like {source}")
    yield from commands


@operation()
def restorecon(paths: list[str]):
    """``restorecon -R -v -i PATHS`` when some file there has another label than the policy's.

    The dry run is read when the operation runs, after the files this deploy writes:
    on a first run it finds them, on the next it finds nothing and changes nothing.
    """
    if not labels_files(host.get_fact(SELinuxMode)):
        host.noop("SELinux is disabled")
        return
    command = relabel_command(paths, host.get_fact(MislabeledFiles, paths))
    if command:
        yield command
    else:
        host.noop(f"{', '.join(paths)} carry the policy's labels")


def label_as_docker_store(platform: Platform, path: str) -> None:
    """DCFG-3 with SELinux enforcing — Docker's data root ``path`` labelled as its default
    one: ``semanage fcontext -a -e /var/lib/docker /data``, then ``restorecon -R /data``
    (container-selinux's rules for /var/lib/docker then apply below /data)."""
    if not platform.selinux:
        return
    install_packages(platform, list(platform.selinux_packages),
                     name="Install semanage, SELinux's policy tool (DCFG-3)")
    fcontext_equivalence(path=path, source=DOCKER_DEFAULT_ROOT,
                         name=f"Label {path} like {DOCKER_DEFAULT_ROOT} (DCFG-3)")


def restore_labels(platform: Platform, paths: list[str]) -> None:
    """DCFG-5, DCFG-6, SEC-1, SEC-3, SEC-4, OPS-6, CMP-1 … CMP-3 with SELinux enforcing —
    what the deploy wrote where Docker and systemd read it carries the label SELinux's
    policy gives that place: ``restorecon -R -v -i /etc/docker …``, when restorecon's
    dry run (``-n``) finds a file to relabel. Nothing on Debian, which has no SELinux."""
    if not platform.selinux:
        return
    restorecon(paths=paths, name="restorecon the files the lab wrote (SELinux)")
