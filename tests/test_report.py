"""The acceptance report reads each test's requirement IDs and host from its user properties."""

import pytest

from acceptance.report import RequirementReport
from lab.catalogue import load_catalogue


def report(outcome: str, properties: list[tuple[str, str]], nodeid="acceptance/t.py::test_x"):
    return pytest.TestReport(nodeid=nodeid, location=("acceptance/t.py", 1, "test_x"),
                             keywords={}, outcome=outcome, longrepr=None, when="call",
                             user_properties=properties)


def test_the_host_is_the_recorded_one_whole_not_parsed_from_the_test_id():
    plugin = RequirementReport(load_catalogue())
    # A host name with a dash, and a test id whose parameters would mislead a parser.
    plugin.pytest_runtest_logreport(report(
        "passed", [("requirement", "RUNC-1"), ("host", "ssh://my-vm")],
        nodeid="acceptance/t.py::test_x[ssh://other-vm-docker.socket]"))
    plugin.pytest_runtest_logreport(report(
        "passed", [("requirement", "RUNC-1"), ("host", "paramiko://node2")]))
    assert plugin.outcomes["RUNC-1"]["PASS"] == {"ssh://my-vm", "paramiko://node2"}
    assert plugin.status("RUNC-1") == "PASS"


def test_a_test_without_a_host_is_shown_as_a_dash():
    plugin = RequirementReport(load_catalogue())
    plugin.pytest_runtest_logreport(report("passed", [("requirement", "RUNC-1")]))
    assert plugin.outcomes["RUNC-1"]["PASS"] == {"-"}


def test_a_test_without_requirements_is_not_reported():
    plugin = RequirementReport(load_catalogue())
    plugin.pytest_runtest_logreport(report("passed", [("host", "ssh://my-vm")]))
    assert not plugin.outcomes


def test_a_note_is_kept_once_per_host_whatever_the_outcome():
    plugin = RequirementReport(load_catalogue())
    note = [("requirement", "RKT-3"), ("host", "paramiko://node1"),
            ("note", "rkt ran docker://alpine")]
    plugin.pytest_runtest_logreport(report("passed", note))
    plugin.pytest_runtest_logreport(report("failed", note))
    assert list(plugin.notes["RKT-3"]) == ["paramiko://node1: rkt ran docker://alpine"]
    assert not plugin.notes["RKT-1"]
