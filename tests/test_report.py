"""The acceptance report reads each test's requirement IDs and host from its user properties."""

from types import SimpleNamespace

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


def test_a_skip_reason_is_printed_once_and_whole_however_long():
    plugin = RequirementReport(load_catalogue())
    reason = "Portainer's image is unavailable: " + "make it with docker save, " * 12 + "END"
    for test in ("a", "b"):
        plugin.pytest_runtest_logreport(pytest.TestReport(
            nodeid=f"acceptance/t.py::test_{test}", location=("acceptance/t.py", 1, test),
            keywords={}, outcome="skipped", longrepr=("acceptance/t.py", 1, reason),
            when="setup", user_properties=[("requirement", "GUI-1"), ("host", "ssh://vm")]))
    lines = []
    plugin.pytest_terminal_summary(SimpleNamespace(write_line=lines.append,
                                                   section=lambda title: None))
    shown = [line.strip() for line in lines[lines.index(next(
        line for line in lines if line.startswith("GUI-1"))) + 1:]]
    detail = " ".join(shown[:shown.index(next(line for line in shown if "END" in line)) + 1])
    assert detail == f"ssh://vm: {reason}"
    assert sum("Portainer's image" in line for line in lines) == 1
