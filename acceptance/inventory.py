"""The machines an instructor grades, and the role each one plays in the TP: an
inventory file (YAML), given with ``pytest acceptance/ --inventory class.yml``.

    hosts:
      - name: alice-1            # how the report names the host (letters, digits, - _ .)
        address: 192.168.56.21   # IP address or DNS name
        outside_address: 10.0.0.21  # optional: where the checks "from outside" (web pages,
                                 #   the TCP daemon) reach the host, when `address` is
                                 #   not it (an SSH port forward such as 127.0.0.1:2222)
        user: alice              # who connects (with sudo for the checks)
        key: ~/.ssh/class_ed25519  # optional: else the SSH agent's and ~/.ssh's keys
        port: 22                 # optional
        role: main               # main | second | omitted
        partner: alice-2         # optional: the student's other host: each one's docker
                                 #   CLI must reach the other's TCP daemon with TLS (DCFG-6)
        student: alice           # optional: whose host it is (the class matrix's row, the
                                 #   gradebook's name); default: the name without a
                                 #   trailing -N (alice-1, alice-2 -> alice)
        tls:                     # optional: the student's Docker client files (DCFG-6)
          ca: alice/ca.pem       #   relative paths: from the inventory file's folder
          cert: alice/cert.pem
          key: alice/key.pem

A ``main`` host is graded on node1's requirements (every section, the main Docker
host), a ``second`` host on node2's (runc, the daemons, the robust configuration),
a host without a role on everything. A student's hosts (one ``student:``, or names
that differ only by their trailing ``-N``) make one row of the class matrix and of
grades.csv (acceptance/class_report.py). Each host is reached through an SSH config
written for it, so two hosts behind one address (NAT port forwards) stay apart:

    hosts = load_inventory("class.yml")
    specs = [host.spec(folder) for host in hosts]   # "paramiko://alice-1?ssh_config=…"
"""

import re
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import paramiko
import yaml

from acceptance.clients import ClientTLS

ROLES = ("main", "second", None)  # None: graded on everything
FIELDS = {"name", "address", "outside_address", "user", "key", "port", "role", "partner",
          "student", "tls"}
TLS_FILES = ("ca", "cert", "key")
# How a check says its host could not be graded at all (the report looks for it).
UNREACHABLE = "cannot be graded: "
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
NUMBERED = re.compile(r"-[0-9]+$")  # alice-1: the first host of student alice


def host_name(host: str) -> str:
    """The name a graded host is known by, from its testinfra id.

    >>> host_name("paramiko://alice-1"), host_name("-")
    ('alice-1', '-')
    """
    return host.split("://", 1)[-1]


def student_of(name: str) -> str:
    """The student a host named ``name`` belongs to when nobody said: its name without a
    trailing ``-N``.

    >>> student_of("alice-1"), student_of("alice-2"), student_of("node1"), student_of("vm-a")
    ('alice', 'alice', 'node1', 'vm-a')
    """
    return NUMBERED.sub("", name)


class InventoryError(ValueError):
    """An inventory file that cannot be graded from; says every problem at once."""


@dataclass(frozen=True)
class GradedHost:
    name: str
    address: str
    user: str
    port: int = 22
    key: str | None = None
    role: str | None = None
    tls: ClientTLS | None = None  # a client of the host's TCP daemon (DCFG-6)
    partner: str | None = None  # the name of the student's other host (DCFG-6)
    partner_address: str | None = None  # where this host reaches its partner
    outside_address: str | None = None  # where the checks from outside reach it
    student: str | None = None  # whose host it is, when the inventory says

    @property
    def student_name(self) -> str:
        """Whose host it is: its ``student:``, else its name without a trailing ``-N``."""
        return self.student or student_of(self.name)

    @property
    def reached_from_outside(self) -> str:
        """The address the checks "from outside" use: ``outside_address``, else ``address``."""
        return self.outside_address or self.address

    def ssh_config(self) -> str:
        """The SSH config paramiko reads for this host (``Host NAME``)."""
        lines = [f"Host {self.name}", f"  HostName {self.address}", f"  Port {self.port}",
                 f"  User {self.user}"]
        if self.key:
            lines += [f"  IdentityFile {self.key}", "  IdentitiesOnly yes"]
        return "\n".join(lines) + "\n"

    def spec(self, folder: Path) -> str:
        """The testinfra host spec, its SSH config written in ``folder``."""
        config = Path(folder) / f"ssh-config.{self.name}"
        config.write_text(self.ssh_config())
        return f"paramiko://{self.name}?{urlencode({'ssh_config': config})}"


def load_inventory(path) -> list[GradedHost]:
    """The hosts of the inventory file ``path``; raises InventoryError naming each
    problem (the host's position and name, the field, what to write)."""
    try:
        data = yaml.safe_load(Path(path).read_text())
    except OSError as error:
        raise InventoryError(f"{path}: cannot be read ({error.strerror})") from None
    except yaml.YAMLError as error:
        raise InventoryError(f"{path}: not YAML ({error})") from None
    entries = data.get("hosts") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise InventoryError(f"{path}: wants a list `hosts:` of at least one host "
                             "(name, address, user, and optionally key, port, role, partner, "
                             "student, tls)")
    problems, hosts, names = [], [], set()
    # A partner is reached from the student's other VM: at its outside_address if any.
    addresses = {entry["name"]: entry.get("outside_address") or entry.get("address")
                 for entry in entries
                 if isinstance(entry, dict) and isinstance(entry.get("name"), str)}
    for index, entry in enumerate(entries, 1):
        where = f"hosts[{index}]"
        if not isinstance(entry, dict):
            problems.append(f"{where}: a mapping (name: …, address: …, user: …)")
            continue
        where += f" ({entry['name']})" if isinstance(entry.get("name"), str) else ""
        problems += [f"{where}: unknown field {field!r} (fields: {', '.join(sorted(FIELDS))})"
                     for field in sorted(set(entry) - FIELDS, key=str)]
        for field in ("name", "address", "user"):
            if not isinstance(entry.get(field), str) or not entry[field].strip():
                problems.append(f"{where}: `{field}` is missing or empty")
        name = entry.get("name")
        if isinstance(name, str) and name and not NAME.match(name):
            problems.append(f"{where}: name {name!r}: letters, digits, '-', '_' and '.' only")
        if name in names:
            problems.append(f"{where}: name {name!r} is used twice")
        names.add(name)
        port = entry.get("port", 22)
        if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
            problems.append(f"{where}: port {port!r} is not a TCP port (1 to 65535)")
        role = entry.get("role")
        if role not in ROLES:
            problems.append(f"{where}: role {role!r}: main, second, or no role")
        key = entry.get("key")
        if key is not None and not (isinstance(key, str)
                                    and Path(key).expanduser().is_file()):
            problems.append(f"{where}: key {key!r} is not a file")
        tls, tls_problems = client_tls(entry.get("tls"), Path(path).parent)
        problems += [f"{where}: {problem}" for problem in tls_problems]
        outside = entry.get("outside_address")
        if outside is not None and not (isinstance(outside, str) and outside.strip()):
            problems.append(f"{where}: outside_address {outside!r} is not an address")
        partner = entry.get("partner")
        if partner is not None and (partner == name or partner not in addresses):
            problems.append(f"{where}: partner {partner!r} is not another host of the file")
        student = entry.get("student")
        if student is not None and not (isinstance(student, str) and student.strip()
                                        and student == student.strip() and "\n" not in student):
            problems.append(f"{where}: student {student!r}: a name on one line (e.g. alice)")
        if not problems:
            hosts.append(GradedHost(name=name, address=entry["address"], user=entry["user"],
                                    port=port, role=role, tls=tls,
                                    key=str(Path(key).expanduser()) if key else None,
                                    partner=partner, partner_address=addresses.get(partner),
                                    outside_address=outside, student=student))
    if problems:
        raise InventoryError(f"{path}:\n  " + "\n  ".join(problems))
    return hosts


def clients_of_daemons(hosts: list[GradedHost]) -> dict[str, list[tuple[str, str]]]:
    """For each host, the hosts whose docker CLI must reach its TCP daemon (DCFG-6) and the
    address they reach it at: the partners, whichever of the two names the other.
    DCFG-6's check "from the other host" is recorded against the daemon it reaches.

    >>> one = GradedHost("alice-1", "10.0.0.1", "alice", partner="alice-2",
    ...                  partner_address="10.0.0.2")
    >>> two = GradedHost("alice-2", "10.0.0.2", "alice", partner="alice-1",
    ...                  partner_address="10.0.0.1")
    >>> clients_of_daemons([one, two])
    {'alice-2': [('alice-1', '10.0.0.2')], 'alice-1': [('alice-2', '10.0.0.1')]}
    """
    reached_at = {host.name: host.reached_from_outside for host in hosts}
    clients: dict[str, list[tuple[str, str]]] = {}
    for host in hosts:
        if not host.partner:
            continue
        pairs = ((host.partner, host.name, host.partner_address),
                 (host.name, host.partner, reached_at[host.name]))
        for daemon, client, address in pairs:
            if (client, address) not in clients.setdefault(daemon, []):
                clients[daemon].append((client, address))
    return clients


def client_tls(files, folder: Path) -> tuple[ClientTLS | None, list[str]]:
    """The ``tls:`` of a host (``{ca: …, cert: …, key: …}``, paths relative to ``folder``)
    as a ClientTLS, and the problems with it:

        client_tls({"ca": "/a/ca.pem"}, folder)   # None, ["tls: wants ca, cert and key …"]
    """
    if files is None:
        return None, []
    if not isinstance(files, dict) or set(files) != set(TLS_FILES):
        return None, ["tls: wants ca, cert and key (the files of a Docker client of the host)"]
    paths = {name: (folder / Path(str(files[name])).expanduser()) for name in TLS_FILES}
    missing = [f"tls: {name} {str(files[name])!r} is not a file" for name, path in paths.items()
               if not path.is_file()]
    return (None if missing else ClientTLS(**{n: str(p) for n, p in paths.items()})), missing


def unreachable_reason(error: BaseException) -> str:
    """Why SSH could not reach a host, in words an instructor acts on."""
    if isinstance(error, paramiko.AuthenticationException):
        return f"SSH refused the login ({error}): check the user and the key"
    if isinstance(error, paramiko.BadHostKeyException):
        return "its SSH host key changed since it was last seen: remove the old one"
    if isinstance(error, socket.gaierror):
        return f"its address does not resolve ({error.strerror})"
    if isinstance(error, TimeoutError):
        return "timed out: is the VM up, and its address right?"
    if isinstance(error, paramiko.ssh_exception.NoValidConnectionsError | ConnectionRefusedError):
        return "connection refused: is sshd running, on this port?"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return f"{type(error).__name__}: {error}"
