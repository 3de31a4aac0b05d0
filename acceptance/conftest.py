"""Hosts and fixtures of the acceptance suite.

Without ``--hosts`` the suite grades the running Vagrant lab: python-vagrant
asks Vagrant which nodes run, each is reached with the SSH details the
Vagrantfile's trigger wrote for pyinfra (``.vagrant/lab/ssh-config.NODE``), and
every check runs as root (sudo) on each of them. With ``--hosts`` it grades any
machine testinfra can reach, e.g. a student's VM:

    pytest acceptance/ --hosts=ssh://student@192.168.56.20 --sudo

Each test records its host (``paramiko://node1``) as a ``host`` user property,
beside its ``requirement`` properties: the report and the JUnit XML read them.
"""

import functools
import ipaddress
import json
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlencode

import pytest
import testinfra
import vagrant
from _pytest.doctest import DoctestItem
from testinfra.host import Host

from acceptance.clients import ClientTLS
from acceptance.containers import LABELLED, check_run
from acceptance.gradebook import ResultsError, load_results
from acceptance.inventory import (
    ROLES,
    TLS_FILES,
    UNREACHABLE,
    InventoryError,
    clients_of_daemons,
    load_inventory,
    unreachable_reason,
)
from acceptance.report import RequirementReport
from lab.catalogue import load_catalogue
from lab.pki import ensure_pki
from lab.settings import DAEMON_JSON, MAIN_NODE, PKI_DIR, REPO, load, ssh_config_file


def _lab_hosts() -> tuple[list[str], list[str]]:
    """The running lab's nodes as testinfra hosts, each with its node's SSH config, and
    the names of the nodes that are not running."""
    lab = vagrant.Vagrant(root=str(REPO), quiet_stderr=True)
    statuses = lab.status()
    running = [status.name for status in statuses if status.state == "running"]
    down = [status.name for status in statuses if status.state != "running"]
    if not running:
        pytest.exit(
            "No node of the lab is running: run `vagrant up` first, or grade another "
            "machine with --hosts=ssh://USER@ADDRESS --sudo.",
            returncode=2,
        )
    missing = [name for name in running if not ssh_config_file(name).exists()]
    if missing:
        pytest.exit(
            f"Running without the SSH details the Vagrantfile writes after `up`, `provision` "
            f"and `reload` ({ssh_config_file('NODE')}): {', '.join(missing)}. Run "
            f"`vagrant provision {' '.join(missing)}`.",
            returncode=2,
        )
    return [lab_spec(name) for name in running], down


def lab_spec(name: str) -> str:
    """The testinfra spec of the lab's node ``name``, through the SSH config the
    Vagrantfile's trigger wrote for it."""
    return f"paramiko://{name}?{urlencode({'ssh_config': ssh_config_file(name)})}"


def pytest_addoption(parser):
    parser.addoption("--portainer-user", metavar="USER", default="admin",
                     help="the graded host's Portainer user with the rights to manage its "
                     "environments (GUI-2; default: admin)")
    parser.addoption("--portainer-password", metavar="PASSWORD", default=None,
                     help="the graded host's Portainer admin password (GUI-2); the lab's is "
                     "read from .vagrant/lab/portainer-admin-password")
    parser.addoption("--inventory", metavar="FILE", default=None,
                     help="grade the hosts of this YAML file, each with its role (README, "
                     "'Grading a class'); instead of --hosts")
    parser.addoption("--role", choices=[role for role in ROLES if role], default=None,
                     help="with --hosts: grade every host as node1 (main) or node2 (second); "
                     "without, on every requirement")
    for name, what in (("ca", "the CA that signed its daemon's certificate"),
                       ("cert", "a client certificate that CA signed"),
                       ("key", "that certificate's key")):
        parser.addoption(f"--tls-{name}", metavar="FILE", default=None,
                         help=f"with --hosts or on a student lab: for DCFG-6, {what} (the "
                         f"graded host's ~/.docker/{name}.pem); the reference lab's come from "
                         ".vagrant/lab/pki")
    parser.addoption("--report-dir", metavar="DIR", default="reports",
                     help="where the requirement report is written as requirements.md and "
                     "requirements.html, with grades.csv and results.json (default: reports)")
    parser.addoption("--compare", metavar="FILE", default=None,
                     help="an earlier grading's results.json: the report says per student "
                     "which requirements newly pass or newly fail since")


def pytest_configure(config):
    # With -n (pytest-xdist), each worker gets the lab's hosts from the controller,
    # which asked Vagrant once (pytest_configure_node).
    worker = getattr(config, "workerinput", None)
    nodes_down = []
    config.graded_roles = {}  # host name -> role, from --inventory or --role
    config.graded_addresses = {}  # host name -> its address, from --inventory
    config.graded_tls = {}  # host name -> ClientTLS of its TCP daemon, from --inventory
    config.graded_partners = {}  # host name -> its partner's address, from --inventory
    config.graded_clients = {}  # host name -> [(client host, address)] of its TCP daemon
    config.graded_specs = {}  # host name -> its testinfra spec
    config.graded_students = {}  # host name -> its student, from --inventory
    given_tls = [getattr(config.option, f"tls_{name}") for name in TLS_FILES]
    if any(given_tls) and not all(given_tls):
        raise pytest.UsageError("--tls-ca, --tls-cert and --tls-key go together")
    if any(given_tls) and config.option.inventory:
        raise pytest.UsageError("--tls-ca, --tls-cert and --tls-key are for --hosts or the lab "
                                "(in an inventory, each host's `tls:`)")
    if missing := [file for file in given_tls if file and not Path(file).is_file()]:
        raise pytest.UsageError(f"--tls-*: not a file: {', '.join(missing)}")
    if config.option.inventory:
        if config.option.hosts:
            raise pytest.UsageError("--inventory and --hosts: give one of them")
        try:
            graded = load_inventory(config.option.inventory)
        except InventoryError as error:
            raise pytest.UsageError(f"--inventory {error}") from None
        folder = Path(tempfile.mkdtemp(prefix="tp15-inventory-"))
        config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
        config.graded_specs = {host.name: host.spec(folder) for host in graded}
        config.option.hosts = ",".join(config.graded_specs.values())
        config.option.sudo = True
        config.graded_roles = {host.name: host.role for host in graded}
        config.graded_students = {host.name: host.student_name for host in graded}
        config.graded_addresses = {host.name: host.reached_from_outside for host in graded}
        config.graded_tls = {host.name: host.tls for host in graded if host.tls}
        config.graded_partners = {host.name: host.partner_address for host in graded
                                  if host.partner_address}
        config.graded_clients = clients_of_daemons(graded)
    elif worker and "lab_hosts" in worker:
        config.lab_nodes = True
        config.option.hosts = worker["lab_hosts"]
        config.option.sudo = True
    elif config.option.hosts is None:
        config.lab_nodes = True
        hosts, nodes_down = _lab_hosts()
        config.option.hosts = ",".join(hosts)
        config.option.sudo = True
        config.graded_roles = {name: "main" if name == MAIN_NODE else "second"
                               for name in load().nodes}
    # The report is about outcomes: a run that only collects has none. With -n, the
    # controller receives every worker's outcomes and prints it once.
    if not config.option.collectonly and worker is None:
        previous = earlier_grading(config.option.compare)
        config.pluginmanager.register(
            RequirementReport(load_catalogue(), nodes_down, roles=config.graded_roles,
                              default_role=config.option.role,
                              folder=Path(config.option.report_dir),
                              student=getattr(config, "lab_nodes", False)
                              and load().profile == "student",
                              complete=not getattr(config, "lab_nodes", False),
                              students=config.graded_students, previous=previous),
            "lab-requirements")


def earlier_grading(path: str | None) -> dict | None:
    """``--compare``'s results.json (None without it); a file that is not one stops the
    run before anything is graded, naming it."""
    if path is None:
        return None
    try:
        return load_results(path)
    except ResultsError as error:
        raise pytest.UsageError(f"--compare {error}") from None


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """pytest-xdist, on the controller: hand the lab's hosts to each worker."""
    if getattr(node.config, "lab_nodes", False):
        node.workerinput["lab_hosts"] = node.config.option.hosts


def _testinfra_host(item):
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("_testinfra_host") if callspec else None


def plays(config, hostname: str) -> str | None:
    """The lab node whose requirements the host ``hostname`` is graded on: on the lab,
    itself; elsewhere the node of its role (main: node1, second: node2), or None (no
    role: every requirement)."""
    if getattr(config, "lab_nodes", False):
        return hostname
    role = config.graded_roles.get(hostname, config.option.role)
    if role is None:
        return None
    return MAIN_NODE if role == "main" else _second_node()


@functools.cache
def _second_node() -> str:
    """The lab's node that is not the main Docker host (lab.yml): node2."""
    return next(name for name in load().nodes if name != MAIN_NODE)


def graded_on(item, catalogue) -> tuple[str, ...]:
    """The nodes a test grades: its ``nodes`` marker's; without one, node1, and node2 too
    when one of its requirements is asked of the second host (the catalogue's
    ``second``: shared/tp/requirements.md, "Hosts"; their sections are the ones
    lab/sections.py provisions everywhere, tests/test_sections.py)."""
    if marker := item.get_closest_marker("nodes"):
        return marker.args
    ids = [mark.args[0] for mark in item.iter_markers("req")]
    if any(catalogue[id_].second for id_ in ids if id_ in catalogue):
        return (MAIN_NODE, _second_node())
    return (MAIN_NODE,)


@pytest.hookimpl(tryfirst=True)  # before xdist reads the xdist_group markers
def pytest_collection_modifyitems(config, items):
    """Record each test's host; drop (not skip) the tests of another node on a host that
    plays one (on the lab, the nodes themselves; elsewhere, by role: ``graded_on``), and the checks
    of lab.yml's own choices (marker ``lab``) on hosts that are not the lab's. With ``-n N
    --dist loadgroup`` (pytest-xdist), each host's tests run in one worker, in order:
    hosts are graded side by side, never one host's checks against each other."""
    kept = []
    catalogue = load_catalogue()
    for item in items:
        # The examples in the suite's docstrings are the unit tier's
        # (tests/test_acceptance_doctests.py): here they would need a host.
        if isinstance(item, DoctestItem):
            config.hook.pytest_deselected(items=[item])
            continue
        host = _testinfra_host(item)
        if host:
            item.user_properties.append(("host", host.backend.get_pytest_id()))
            item.add_marker(pytest.mark.xdist_group(host.backend.get_pytest_id()))
        node = plays(config, host.backend.get_hostname()) if host else None
        lab_only = item.get_closest_marker("lab") and not getattr(config, "lab_nodes", False)
        if lab_only or node and node not in graded_on(item, catalogue):
            config.hook.pytest_deselected(items=[item])
        else:
            kept.append(item)
    items[:] = kept


@pytest.fixture(scope="module", autouse=True)
def reachable(host):
    """Each host is reached once, first: one that cannot be (or whose sudo asks for a
    password) fails each of its checks with one reason, the others are still graded."""
    try:
        run = host.run("true")
    except Exception as error:  # noqa: BLE001 — whatever paramiko or the socket raised
        pytest.fail(f"{host.backend.get_hostname()} {UNREACHABLE}{unreachable_reason(error)}",
                    pytrace=False)
    if run.rc != 0:
        pytest.fail(f"{host.backend.get_hostname()} {UNREACHABLE}its sudo failed "
                    f"({run.stderr.strip()[:200]}): the user needs sudo without a password",
                    pytrace=False)


@pytest.fixture(scope="session")
def settings():
    """The lab's settings (lab.yml): what the lab was asked to provision."""
    return load()


@pytest.fixture(scope="session")
def on_the_lab(request) -> bool:
    """Whether the suite grades the Vagrant lab (either profile), not hosts given to it."""
    return getattr(request.config, "lab_nodes", False)


@pytest.fixture(scope="module")
def node(host, settings, request):
    """The lab node ``host`` is (lab.yml), or None for another machine."""
    if not getattr(request.config, "lab_nodes", False):
        return None
    return settings.nodes.get(host.backend.get_hostname())


@pytest.fixture(scope="module")
def address(host, node, request):
    """How the host machine reaches ``host`` from outside: its private IP on the lab, its
    address in the inventory, or the name --hosts gave."""
    if node:
        return node.ip
    name = host.backend.get_hostname()
    found = request.config.graded_addresses.get(name, name)
    if is_loopback(found):
        pytest.skip(f"{name} is reached at {found}, this machine's own loopback (an SSH port "
                    "forward): the checks from outside need the VM's own address, given as "
                    "outside_address: in the inventory")
    return found


def is_loopback(address: str) -> bool:
    """Whether ``address`` is this machine itself: 127.0.0.0/8, ::1 or localhost.

    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("192.168.56.11")
    (True, True, False)
    """
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return address == "localhost"


@pytest.fixture(scope="module")
def partners(host, node, settings, request) -> list[str]:
    """The other hosts whose TCP daemon ``host``'s docker CLI must reach (DCFG-6): on the
    lab, the other nodes by name; elsewhere the address of its inventory ``partner:``."""
    if node:
        return [other for other in settings.nodes if other != node.name]
    name = host.backend.get_hostname()
    if name not in request.config.graded_partners:
        pytest.skip(f"needs {name}'s other host, whose TCP daemon it must reach: name it "
                    "with partner: in the inventory")
    return [request.config.graded_partners[name]]


@pytest.fixture(scope="module")
def daemon_clients(host, node, settings, request) -> list[tuple[str, Host, str]]:
    """The hosts whose docker CLI must reach ``host``'s TCP daemon (DCFG-6), each as (name,
    testinfra host, the address it reaches the daemon at): on the lab, the other running
    nodes, at ``host``'s name; elsewhere the inventory's partners of ``host``. Their check
    is ``host``'s: it is recorded against the daemon it reaches."""
    config = request.config
    if node:
        graded = config.option.hosts.split(",")
        found = [(other, lab_spec(other), node.name) for other in settings.nodes
                 if other != node.name and lab_spec(other) in graded]
        if not found:
            pytest.skip(f"no other node of the lab is running: `vagrant up` it, its docker "
                        f"CLI must reach {node.name}'s TCP daemon")
    else:
        name = host.backend.get_hostname()
        found = [(client, config.graded_specs[client], address)
                 for client, address in config.graded_clients.get(name, [])]
        if not found:
            pytest.skip(f"needs the host whose docker CLI must reach {name}'s TCP daemon: "
                        "pair the two with partner: in the inventory")
    return [(client, testinfra.get_host(spec, sudo=True), address)
            for client, spec, address in found]


@pytest.fixture(scope="module")
def client_tls(host, settings, request) -> ClientTLS:
    """The files of a Docker client that ``host``'s TCP daemon should accept (DCFG-6): on
    the lab, the lab's CA and client certificate (.vagrant/lab/pki); elsewhere the host's
    ``tls:`` in the inventory, or --tls-ca/--tls-cert/--tls-key (which, on a student lab,
    stand for the lab's)."""
    config = request.config
    files = [getattr(config.option, f"tls_{file}") for file in TLS_FILES]
    if getattr(config, "lab_nodes", False) and settings.profile == "student" and not all(files):
        pytest.skip("the lab is in student mode: your daemon's CA is yours, so give a client "
                    "certificate it signed: --tls-ca, --tls-cert and --tls-key (files on this "
                    "machine, e.g. copied from the node's ~/.docker)")
    if getattr(config, "lab_nodes", False) and not all(files):
        if not (PKI_DIR / "ca.pem").exists():
            pytest.skip(f"no lab PKI in {PKI_DIR}: provision the lab first (vagrant up)")
        pki = ensure_pki(PKI_DIR, {n.name: n.ip for n in settings.nodes.values()})
        return ClientTLS(str(pki.ca), str(pki.client_cert), str(pki.client_key))
    name = host.backend.get_hostname()
    if name in config.graded_tls:
        return config.graded_tls[name]
    if not all(files):
        pytest.skip(f"needs a Docker client certificate of {name}'s CA: give its tls: "
                    "(ca, cert, key) in the inventory, or --tls-ca, --tls-cert and --tls-key")
    return ClientTLS(*files)


@pytest.fixture(scope="module")
def docker_info(host) -> dict:
    """The main daemon's ``docker info``, e.g. ``docker_info["DockerRootDir"]``; fails,
    saying what to do, when the daemon does not answer."""
    shown = host.run("docker info --format '{{json .}}'")
    info = json.loads(shown.stdout) if shown.rc == 0 else {}
    # A CLI that reaches no daemon may still exit 0, with the error in ServerErrors.
    problem = shown.stderr.strip() if shown.rc else "; ".join(info.get("ServerErrors") or [])
    if shown.rc or problem:
        pytest.fail(f"`docker info` failed: {problem or f'exit {shown.rc}'}. Is dockerd "
                    "running? `systemctl status docker` says why it stopped.")
    return info


@pytest.fixture(scope="module")
def docker_users(host) -> list[str]:
    """The members of group docker (the TP's users, whatever their names); fails when
    there is none."""
    members = host.group("docker").members if host.group("docker").exists else []
    if not members:
        pytest.fail("No user is in group docker: `usermod -aG docker YOUR_USER`, then log in "
                    "again.")
    return members


@pytest.fixture(scope="module")
def daemon_json(host) -> dict:
    """/etc/docker/daemon.json, or {} when there is none; fails, saying so, when it is
    not JSON (dockerd would not start)."""
    config = host.file(DAEMON_JSON)
    if not config.exists:
        return {}
    try:
        return json.loads(config.content_string)
    except json.JSONDecodeError as error:
        pytest.fail(f"{DAEMON_JSON} is not valid JSON ({error}); dockerd won't start. "
                    f"`python3 -m json.tool {DAEMON_JSON}` shows where.")


@pytest.fixture
def container(host):
    """Starts containers with ``docker run -d OPTIONS`` and removes them afterwards:
    ``cid = container("alpine sleep 9999")``."""
    started = []

    def run(options: str) -> str:
        cid = check_run(host, f"docker run -d {LABELLED} {options}", output=True)
        started.append(cid)
        return cid

    yield run
    for cid in started:
        host.run(f"docker rm -f {cid}")
