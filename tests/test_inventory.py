"""Grading a class: the inventory file (acceptance/inventory.py), the role each host is
graded in (acceptance/conftest.py), and why a host could not be reached."""

import re
import socket
import textwrap
from types import SimpleNamespace

import paramiko
import pytest

from acceptance import conftest as suite
from acceptance.clients import ClientTLS
from acceptance.inventory import (
    GradedHost,
    InventoryError,
    clients_of_daemons,
    load_inventory,
    unreachable_reason,
)
from lab.settings import REPO

CLASS = (REPO / "acceptance" / "class.example.yml").read_text().replace(
    "~/.ssh/class_ed25519", "KEY")  # the README's example, with a key that exists


@pytest.fixture
def inventory(tmp_path):
    key = tmp_path / "class_key"
    key.write_text("not a real key\n")

    def write(text: str):
        path = tmp_path / "class.yml"
        path.write_text(text.replace("KEY", str(key)))
        return path

    return write


def test_a_class_of_three_students_with_two_vms_each(inventory, tmp_path):
    hosts = load_inventory(inventory(CLASS))
    assert [(host.name, host.role) for host in hosts] == [
        ("alice-1", "main"), ("alice-2", "second"), ("bob-1", "main"), ("bob-2", "second"),
        ("carol-1", None), ("carol-2", None)]
    assert hosts[2] == GradedHost(name="bob-1", address="127.0.0.1", user="vagrant", port=2222,
                                  key=str(tmp_path / "class_key"), role="main",
                                  outside_address="192.168.57.11",
                                  partner="bob-2", partner_address="192.168.57.12")


def test_a_host_behind_nat_is_reached_from_outside_at_its_own_address(inventory):
    hosts = {host.name: host for host in load_inventory(inventory(CLASS))}
    assert hosts["bob-1"].reached_from_outside == "192.168.57.11"
    assert hosts["alice-1"].reached_from_outside == "192.168.56.21"
    assert suite.is_loopback("127.0.0.1") and suite.is_loopback("::1")
    assert not suite.is_loopback("192.168.57.11") and not suite.is_loopback("vm1.example.org")


def test_two_hosts_behind_one_address_keep_their_own_name_and_port(inventory, tmp_path):
    bob_1, bob_2 = load_inventory(inventory(CLASS))[2:4]
    spec_1, spec_2 = bob_1.spec(tmp_path), bob_2.spec(tmp_path)
    assert spec_1.startswith("paramiko://bob-1?ssh_config=")
    assert spec_2.startswith("paramiko://bob-2?ssh_config=")
    config = paramiko.SSHConfig.from_path(str(tmp_path / "ssh-config.bob-2")).lookup("bob-2")
    assert (config["hostname"], config["port"], config["user"]) == ("127.0.0.1", "2200",
                                                                     "vagrant")
    assert config["identityfile"] == [str(tmp_path / "class_key")]


def test_every_problem_is_named_at_once(inventory):
    broken = textwrap.dedent("""\
        hosts:
          - {name: alice-1, address: 192.168.56.21, user: alice, role: primary}
          - {name: alice-1, address: 192.168.56.22, user: alice, port: 70000}
          - {name: "bob 1", user: bob, key: /nowhere/key, colour: blue}
          - just-a-name
        """)
    with pytest.raises(InventoryError) as raised:
        load_inventory(inventory(broken))
    message = str(raised.value)
    for problem in ("hosts[1] (alice-1): role 'primary': main, second, or no role",
                    "hosts[2] (alice-1): name 'alice-1' is used twice",
                    "hosts[2] (alice-1): port 70000 is not a TCP port",
                    "hosts[3] (bob 1): unknown field 'colour'",
                    "hosts[3] (bob 1): `address` is missing or empty",
                    "hosts[3] (bob 1): name 'bob 1': letters, digits",
                    "hosts[3] (bob 1): key '/nowhere/key' is not a file",
                    "hosts[4]: a mapping"):
        assert problem in message


@pytest.mark.parametrize("text", ["", "hosts: []\n", "- a\n", "hosts: {a: 1}\n"])
def test_an_inventory_without_hosts_says_what_it_wants(inventory, text):
    with pytest.raises(InventoryError, match="wants a list `hosts:` of at least one host"):
        load_inventory(inventory(text))


def test_a_missing_inventory_file_is_named(tmp_path):
    with pytest.raises(InventoryError, match="nowhere.yml: cannot be read"):
        load_inventory(tmp_path / "nowhere.yml")


def config_with(roles=None, role=None, lab=False):
    return SimpleNamespace(graded_roles=roles or {}, lab_nodes=lab,
                           option=SimpleNamespace(role=role))


@pytest.mark.parametrize("config, host, node", [
    (config_with(lab=True), "node2", "node2"),               # the lab: each node itself
    (config_with({"alice-1": "main"}), "alice-1", "node1"),  # main: node1's checks
    (config_with({"alice-2": "second"}), "alice-2", "node2"),
    (config_with({"carol-1": None}), "carol-1", None),      # no role: everything
    (config_with(role="second"), "vm9", "node2"),           # --hosts … --role second
    (config_with(), "vm9", None),
])
def test_a_host_plays_the_lab_node_of_its_role(config, host, node):
    assert suite.plays(config, host) == node


@pytest.mark.parametrize("error, reason", [
    (TimeoutError("timed out"), "timed out: is the VM up, and its address right?"),
    (paramiko.ssh_exception.NoValidConnectionsError({("192.168.56.21", 22): OSError(
        111, "Connection refused")}), "connection refused: is sshd running, on this port?"),
    (paramiko.AuthenticationException("Authentication failed."),
     "SSH refused the login (Authentication failed.): check the user and the key"),
    (socket.gaierror(-2, "Name or service not known"),
     "its address does not resolve (Name or service not known)"),
    (OSError(113, "No route to host"), "No route to host"),
])
def test_an_unreachable_host_is_told_by_its_cause(error, reason):
    assert unreachable_reason(error) == reason


def test_a_host_s_docker_client_files_are_read_from_the_inventory_s_folder(tmp_path):
    for name in ("ca", "cert", "key"):
        (tmp_path / "alice").mkdir(exist_ok=True)
        (tmp_path / "alice" / f"{name}.pem").write_text("pem\n")
    path = tmp_path / "class.yml"
    path.write_text(textwrap.dedent("""\
        hosts:
          - name: alice-1
            address: 192.168.56.21
            user: alice
            tls: {ca: alice/ca.pem, cert: alice/cert.pem, key: alice/key.pem}
          - {name: alice-2, address: 192.168.56.22, user: alice}
        """))
    first, second = load_inventory(path)
    assert first.tls == ClientTLS(ca=str(tmp_path / "alice/ca.pem"),
                                  cert=str(tmp_path / "alice/cert.pem"),
                                  key=str(tmp_path / "alice/key.pem"))
    assert second.tls is None


@pytest.mark.parametrize("tls, problem", [
    ("{ca: ca.pem}", "tls: wants ca, cert and key"),
    ("ca.pem", "tls: wants ca, cert and key"),
    ("{ca: ca.pem, cert: nowhere.pem, key: ca.pem}", "tls: cert 'nowhere.pem' is not a file"),
])
def test_incomplete_client_files_are_named(tmp_path, tls, problem):
    (tmp_path / "ca.pem").write_text("pem\n")
    path = tmp_path / "class.yml"
    path.write_text(f"hosts:\n  - {{name: a, address: a, user: a, tls: {tls}}}\n")
    with pytest.raises(InventoryError, match=f"hosts\\[1\\] \\(a\\): {re.escape(problem)}"):
        load_inventory(path)


def test_a_partner_is_another_host_of_the_file_reached_at_its_address(tmp_path):
    path = tmp_path / "class.yml"
    path.write_text(textwrap.dedent("""\
        hosts:
          - {name: alice-1, address: 192.168.56.21, user: alice, partner: alice-2}
          - {name: alice-2, address: 192.168.56.22, user: alice, partner: alice-1}
          - {name: bob-1, address: 192.168.56.31, user: bob}
        """))
    assert [host.partner_address for host in load_inventory(path)] == [
        "192.168.56.22", "192.168.56.21", None]
    path.write_text("hosts:\n  - {name: a, address: a, user: a, partner: b}\n"
                    "  - {name: c, address: c, user: c, partner: c}\n")
    with pytest.raises(InventoryError) as raised:
        load_inventory(path)
    assert "hosts[1] (a): partner 'b' is not another host of the file" in str(raised.value)
    assert "hosts[2] (c): partner 'c' is not another host of the file" in str(raised.value)


def test_each_daemon_is_checked_from_its_partners_cli_at_the_address_it_reaches(inventory):
    # DCFG-6's check from the other host is recorded against the daemon it reaches: bob-1's
    # daemon from bob-2's CLI, at bob-1's host-only address (not the NAT's 127.0.0.1).
    clients = clients_of_daemons(load_inventory(inventory(CLASS)))
    assert clients == {
        "alice-1": [("alice-2", "192.168.56.21")], "alice-2": [("alice-1", "192.168.56.22")],
        "bob-1": [("bob-2", "192.168.57.11")], "bob-2": [("bob-1", "192.168.57.12")]}


def test_a_partner_named_on_one_side_only_still_pairs_both_daemons(tmp_path):
    path = tmp_path / "class.yml"
    path.write_text("hosts:\n  - {name: a, address: 10.0.0.1, user: a, partner: b}\n"
                    "  - {name: b, address: 10.0.0.2, user: b}\n")
    assert clients_of_daemons(load_inventory(path)) == {"b": [("a", "10.0.0.2")],
                                                    "a": [("b", "10.0.0.1")]}


def test_a_student_s_hosts_are_named_alike_or_say_whose_they_are(inventory):
    """alice-1 and alice-2 are alice's (a trailing -N dropped); carol's hosts say
    ``student:``, the name her gradebook knows her by."""
    hosts = load_inventory(inventory(CLASS))
    assert [host.student_name for host in hosts] == [
        "alice", "alice", "bob", "bob", "carol.martin", "carol.martin"]


def test_a_student_is_a_name_on_one_line(inventory):
    with pytest.raises(InventoryError) as error:
        load_inventory(inventory("hosts:\n"
                                 "  - {name: a-1, address: h, user: u, student: ''}\n"
                                 "  - {name: a-2, address: h, user: u, student: [a]}\n"))
    assert "hosts[1] (a-1): student '': a name on one line (e.g. alice)" in str(error.value)
    assert "hosts[2] (a-2): student ['a']" in str(error.value)
