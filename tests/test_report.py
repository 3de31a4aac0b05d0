"""The acceptance report reads each test's requirement IDs and host from its user properties."""

import re
from types import SimpleNamespace

import pytest

from acceptance.report import RequirementReport
from acceptance.report_files import write_reports
from lab.catalogue import load_catalogue


def report(outcome: str, properties: list[tuple[str, str]], nodeid="acceptance/t.py::test_x"):
    return pytest.TestReport(nodeid=nodeid, location=("acceptance/t.py", 1, "test_x"),
                             keywords={}, outcome=outcome, longrepr=None, when="call",
                             user_properties=properties)


def exit_status(plugin) -> pytest.ExitCode:
    """The session's exit status once the plugin has seen a run whose checks passed."""
    session = SimpleNamespace(exitstatus=pytest.ExitCode.OK)
    plugin.pytest_sessionfinish(session)
    return session.exitstatus


def summary(plugin) -> list[str]:
    """The lines the plugin writes at the end of the run."""
    lines = []
    plugin.pytest_terminal_summary(SimpleNamespace(write_line=lines.append,
                                                   section=lambda title: None))
    return lines


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


def test_a_lab_node_not_running_fails_the_run_and_is_named_in_the_report():
    plugin = RequirementReport(load_catalogue(), nodes_down=["node2"])
    plugin.pytest_runtest_logreport(report(
        "passed", [("requirement", "RUNC-1"), ("host", "paramiko://node1")]))
    assert exit_status(plugin) == pytest.ExitCode.TESTS_FAILED
    lines = summary(plugin)
    assert plugin.status("DCFG-6") == "NOT RUN"
    assert any(line.startswith("DCFG-6") and line.endswith("no check of it ran (node2 not "
                                                            "running)") for line in lines)
    assert lines[-1] == ("Not graded, so the run fails: node2 (not running: "
                         "`vagrant up node2`).")


def test_a_run_with_every_node_up_keeps_its_exit_status():
    plugin = RequirementReport(load_catalogue())
    session = SimpleNamespace(exitstatus=pytest.ExitCode.OK)
    plugin.pytest_sessionfinish(session)
    assert session.exitstatus == pytest.ExitCode.OK


def graded_class(folder):
    """Two students' hosts: alice-1 (main) passes RUNC-1 and fails DCFG-5; bob-1 could not
    be reached; GUI-1 skipped on alice-1."""
    plugin = RequirementReport(load_catalogue(), roles={"alice-1": "main", "bob-1": None},
                               folder=folder)
    alice, bob = ("host", "paramiko://alice-1"), ("host", "paramiko://bob-1")
    plugin.pytest_runtest_logreport(report("passed", [("requirement", "RUNC-1"), alice]))
    failed = report("failed", [("requirement", "DCFG-5"), alice])
    failed.longrepr = "AssertionError: /etc/docker/daemon.json sets nothing | really"
    plugin.pytest_runtest_logreport(failed)
    plugin.pytest_runtest_logreport(pytest.TestReport(
        nodeid="acceptance/t.py::test_gui", location=("acceptance/t.py", 1, "gui"), keywords={},
        outcome="skipped", longrepr=("acceptance/t.py", 1, "Skipped: no Portainer image"),
        when="setup", user_properties=[("requirement", "GUI-1"), alice]))
    for requirement in ("RUNC-1", "DCFG-5"):
        unreachable = report("failed", [("requirement", requirement), bob])
        unreachable.longrepr = "Failed: bob-1 cannot be graded: timed out: is the VM up, …"
        plugin.pytest_runtest_logreport(unreachable)
    return plugin


def test_each_host_has_its_score_and_a_skip_is_never_a_pass(tmp_path):
    plugin = graded_class(tmp_path)
    assert plugin.score("paramiko://alice-1") == (1, 3)
    assert plugin.score("paramiko://bob-1") == (0, 2)
    assert plugin.unreachable == {"paramiko://bob-1": "timed out: is the VM up, …"}


def test_the_markdown_report_reads_host_by_host(tmp_path):
    lines = []
    graded_class(tmp_path).pytest_terminal_summary(
        SimpleNamespace(write_line=lines.append, section=lambda title: None))
    text = (tmp_path / "requirements.md").read_text()
    # RUNC-1 is a capability (catalogue): any working engine passes it
    assert ("| alice-1 | node1's requirements (main Docker host) | 1 / 3 (1 of them any "
            "engine passes) |") in text
    assert ("| bob-1 | every requirement (no role) | 0 / 2 — not reached: timed out: is the "
            "VM up, … |") in text
    alice = text[text.index("## alice-1 — 1 / 3"):text.index("## bob-1")]
    assert "| RUNC-1 | runc is installed and on PATH | PASS (any engine) |" in alice
    assert "| **FAIL** |" in alice
    # a cell's "|" escaped; the check's own message, then the catalogue's hints
    assert "- **DCFG-5** FAIL: /etc/docker/daemon.json sets nothing \\| really" in alice
    assert "  - Fix: Put the daemon's settings in /etc/docker/daemon.json" in alice
    assert "  - À faire : Mettez la configuration du démon" in alice
    assert "- **GUI-1** SKIP: no Portainer image" in alice  # without "Skipped: "
    assert lines[-4:-1] == [
        "alice-1: 1/3 requirements passed (1 of them any working engine passes), graded on "
        "node1's requirements (main Docker host)",
        f"    next, in the TP's order: DCFG-5 — {load_catalogue()['DCFG-5'].hint_en}",
        "bob-1: 0/2 requirements passed, graded on every requirement (no role); timed out: "
        "is the VM up, …"]  # no next step for a host not reached
    # beside the report, the gradebook's files (tests/test_gradebook.py)
    assert lines[-1] == "Report: " + ", ".join(str(tmp_path / name) for name in (
        "requirements.md", "requirements.html", "grades.csv", "results.json"))


def test_the_html_report_is_one_page_without_external_assets(tmp_path):
    write_reports(graded_class(tmp_path), tmp_path)
    page = (tmp_path / "requirements.html").read_text()
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")
    assert not re.search(r"""(src|href)=["']?https?:""", page)
    assert '<td class="FAIL">FAIL</td>' in page and '<td class="SKIP">SKIP</td>' in page
    assert "sets nothing | really" in page
    assert "<h2>alice-1 — 1 / 3 (1 of them any engine passes)</h2>" in page
    assert '<td class="PASS">PASS (any engine)</td>' in page
    assert "Requirements without a check yet (NOT COVERED) count for no one" in page


def test_grading_other_hosts_fails_when_a_requirement_of_a_role_was_skipped_or_not_run():
    """An unattended grading whose checks all skipped (or never ran) exits non-zero and
    names what was not graded, host by host; a second host owes only what the TP asks
    of it (the catalogue's ``second``)."""
    catalogue = load_catalogue()
    plugin = RequirementReport(catalogue, roles={"alice-1": "main", "alice-2": "second"},
                               complete=True)
    main, second = ("host", "paramiko://alice-1"), ("host", "paramiko://alice-2")
    for requirement in catalogue:
        plugin.pytest_runtest_logreport(report("passed", [("requirement", requirement), main]))
    for requirement in ("RUNC-2", "DCFG-1"):
        plugin.pytest_runtest_logreport(report("passed", [("requirement", requirement), second]))
    skipped = report("skipped", [("requirement", "DCFG-6"), second])
    skipped.longrepr = ("acceptance/t.py", 1, "Skipped: needs a client certificate")
    plugin.pytest_runtest_logreport(skipped)
    assert plugin.incomplete() == {"paramiko://alice-2": ["DCFG-6 (skip)"]}
    assert exit_status(plugin) == pytest.ExitCode.TESTS_FAILED
    lines = summary(plugin)
    assert lines[-1] == "    alice-2: DCFG-6 (skip)"

    nothing_ran = RequirementReport(catalogue, roles={"bob-1": "main"}, complete=True)
    nothing_ran.pytest_runtest_logreport(report("passed", [("requirement", "RUNC-1"),
                                                           ("host", "paramiko://bob-1")]))
    assert "RUNC-2 (not run)" in nothing_ran.incomplete()["paramiko://bob-1"]


def test_the_lab_s_own_skips_keep_its_exit_status():
    plugin = RequirementReport(load_catalogue(), roles={"node1": "main"})
    skipped = report("skipped", [("requirement", "GUI-1"), ("host", "paramiko://node1")])
    skipped.longrepr = ("acceptance/t.py", 1, "Skipped: no Portainer image")
    plugin.pytest_runtest_logreport(skipped)
    assert exit_status(plugin) == pytest.ExitCode.OK and plugin.incomplete() == {}
