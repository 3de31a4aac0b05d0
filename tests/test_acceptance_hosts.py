"""The acceptance suite reaches the lab's nodes with the SSH configs the Vagrantfile wrote."""

import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace

import pytest
import testinfra

import acceptance.conftest as suite


@pytest.fixture
def lab(monkeypatch, tmp_path):
    """A lab whose nodes have the given Vagrant states; SSH configs in tmp_path."""
    state_dir = tmp_path / "a dir+with spaces"
    state_dir.mkdir()
    monkeypatch.setattr(suite, "ssh_config_file", lambda name: state_dir / f"ssh-config.{name}")

    def with_states(**states):
        statuses = [SimpleNamespace(name=name, state=state) for name, state in states.items()]
        monkeypatch.setattr(suite.vagrant, "Vagrant",
                            lambda **kwargs: SimpleNamespace(status=lambda: statuses))
        return state_dir

    return with_states


def test_each_running_node_is_reached_with_its_own_ssh_config(lab):
    state_dir = lab(node1="running", node2="running")
    for name in ("node1", "node2"):
        (state_dir / f"ssh-config.{name}").write_text(f"Host {name}\n  HostName 10.0.0.1\n")

    hosts, down = suite._lab_hosts()
    hosts = testinfra.get_hosts(hosts, sudo=True)

    assert [(host.backend.get_pytest_id(), host.backend.ssh_config) for host in hosts] == [
        ("paramiko://node1", str(state_dir / "ssh-config.node1")),
        ("paramiko://node2", str(state_dir / "ssh-config.node2")),
    ]
    assert all(host.backend.sudo for host in hosts)
    assert down == []


def test_a_node_that_is_not_running_is_named_as_down(lab):
    state_dir = lab(node1="running", node2="shutoff")
    (state_dir / "ssh-config.node1").write_text("Host node1\n  HostName 10.0.0.1\n")
    hosts, down = suite._lab_hosts()
    assert [host.split("?")[0] for host in hosts] == ["paramiko://node1"]
    assert down == ["node2"]


def test_no_running_node_stops_the_suite_saying_what_to_do(lab):
    lab(node1="shutoff", node2="not_created")
    with pytest.raises(pytest.exit.Exception, match="No node of the lab is running: run "
                                                    "`vagrant up` first, or grade another"):
        suite._lab_hosts()


def test_a_running_node_without_its_ssh_config_names_the_command_that_writes_it(lab):
    state_dir = lab(node1="running", node2="running")
    (state_dir / "ssh-config.node1").write_text("Host node1\n")
    with pytest.raises(pytest.exit.Exception,
                       match=r"Running without the SSH details .*ssh-config\.NODE\): node2\. "
                             r"Run `vagrant provision node2`"):
        suite._lab_hosts()


def test_xdist_workers_take_the_lab_hosts_from_the_controller_without_asking_vagrant(
        monkeypatch):
    monkeypatch.setattr(suite, "_lab_hosts", lambda: pytest.fail("a worker asked Vagrant"))
    registered = []
    config = SimpleNamespace(
        workerinput={"lab_hosts": "paramiko://node1?ssh_config=x"},
        option=SimpleNamespace(hosts=None, sudo=False, collectonly=False, inventory=None,
                               role=None, report_dir="reports", tls_ca=None,
                               tls_cert=None, tls_key=None),
        addinivalue_line=lambda *args: None,
        pluginmanager=SimpleNamespace(register=lambda *args: registered.append(args)))

    suite.pytest_configure(config)

    assert (config.lab_nodes, config.option.hosts, config.option.sudo) == (
        True, "paramiko://node1?ssh_config=x", True)
    assert registered == [], "only the controller prints the requirement report"


def test_the_controller_hands_the_lab_hosts_to_each_worker():
    node = SimpleNamespace(config=SimpleNamespace(lab_nodes=True,
                                                  option=SimpleNamespace(hosts="a,b")),
                           workerinput={})
    suite.pytest_configure_node(node)
    assert node.workerinput["lab_hosts"] == "a,b"


def unreachable_pair(folder):
    """An inventory of two hosts nobody answers: ``one`` (main) and ``two`` (second)."""
    inventory = folder / "class.yml"
    inventory.write_text("hosts:\n"
                         "  - {name: one, address: 127.0.0.1, port: 9, user: u, role: main}\n"
                         "  - {name: two, address: 127.0.0.1, port: 9, user: u, role: second}\n")
    return inventory


def test_with_xdist_each_graded_host_keeps_to_one_worker(tmp_path):
    """``-n 2 --dist loadgroup`` grades hosts side by side, each host's checks in order in
    one worker: two of one host's checks at once would race (CMP-6 starts a duplicate of
    the stack and scales it while OPS-3 looks for the host's containers). Hosts nobody
    answers: every check errors, which is enough to see where each ran."""
    inventory = unreachable_pair(tmp_path)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "acceptance/test_runc.py", "--inventory", str(inventory),
         "-n", "2", "--dist", "loadgroup", "-p", "no:cacheprovider", "-v",
         "--report-dir", str(tmp_path)],
        cwd=Path(__file__).parent.parent, capture_output=True, text=True, timeout=120)
    workers = defaultdict(set)
    for worker, host in re.findall(r"^\[(gw\d)\] .*\[paramiko://(\w+)\]", run.stdout, re.M):
        workers[host].add(worker)
    assert set(workers) == {"one", "two"}, run.stdout[-2000:] + run.stderr[-2000:]
    assert all(len(used) == 1 for used in workers.values()), dict(workers)
    # the gradebook too, a student per host (one, two: no trailing -N to drop)
    grades = (tmp_path / "grades.csv").read_text(encoding="utf-8").splitlines()
    assert [line.split(",")[0] for line in grades] == ["student", "one", "two"]


def test_the_second_host_is_graded_only_on_what_the_tp_asks_of_it(tmp_path):
    """node2 is asked Docker installed and running and its TCP daemon (RUNC-2, DCFG-1,
    DCFG-6; GUI-2 is seen from node1's Portainer): nothing else of the TP, whatever the
    reference lab applies there (shared/tp/requirements.md, "Hosts")."""
    inventory = unreachable_pair(tmp_path)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "acceptance/", "--inventory", str(inventory),
         "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=Path(__file__).parent.parent, capture_output=True, text=True, timeout=120)
    modules = defaultdict(set)
    for module, host in re.findall(r"^acceptance/(test_\w+)\.py::\S+\[paramiko://(\w+)[\]-]",
                                   run.stdout, re.M):
        modules[host].add(module)
    second = set(re.findall(r"^acceptance/test_\w+\.py::(\w+)\[paramiko://two[\]-]",
                            run.stdout, re.M))
    assert second == {"test_docker_engine_is_installed_the_official_way",
                      "test_docker_service_is_enabled_and_active",
                      "test_docker_unit_exists_and_is_active",
                      "test_tcp_daemon_is_enabled_and_active",
                      "test_tcp_daemon_answers_a_client_of_its_ca_from_outside",
                      "test_tcp_daemon_refuses_clients_the_lab_ca_did_not_sign",
                      "test_tcp_daemon_answers_the_other_hosts_docker_cli"}, run.stdout[-3000:]
    assert modules["one"] >= {"test_runc", "test_rkt", "test_daemon", "test_security",
                              "test_compose", "test_portainer"}
