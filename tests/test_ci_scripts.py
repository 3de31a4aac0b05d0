"""The checks .ci/run makes of what it ran: the second provision changed nothing (read from
pyinfra's own JSON results), a student lab passes nothing of the TP (read from JUnit)."""

import importlib.machinery
import importlib.util
import json

from lab.settings import REPO


def _script(name: str):
    loader = importlib.machinery.SourceFileLoader(name.replace("-", "_"),
                                                  str(REPO / ".ci" / name))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    return module


def _results(*operations, failed_hosts=()):
    return {"plan": [], "results": {
        "operations": [{"name": name, "success": success, "error": error,
                        "no_change": ["node1"]} for name, success, error in operations],
        "totals": {"hosts": 3, "success": 0, "error": 0, "no_change": 3},
        "failed_hosts": list(failed_hosts)}}


def test_a_quiet_second_provision_passes_and_a_change_or_an_error_is_named(tmp_path, capsys):
    changed_nothing = _script("changed-nothing")
    assert changed_nothing.problems(_results(("Install runc", [], []))) == []
    assert changed_nothing.problems(_results(
        ("Install runc", ["node2"], []), ("Write daemon.json", [], ["node1"]),
        failed_hosts=["node1"])) == ["changed on node2: Install runc",
                                     "failed on node1: Write daemon.json",
                                     "hosts that failed: node1"]
    assert changed_nothing.problems({"plan": [], "results": None})[0].startswith("no results")
    path = tmp_path / "idempotence.json"
    path.write_text(json.dumps(_results(("Install runc", ["node1"], []))))
    assert changed_nothing.main(path) == 1
    assert "changed on node1: Install runc" in capsys.readouterr().err
    path.write_text("pyinfra: error before JSON")
    assert changed_nothing.main(path) == 1


JUNIT = """<testsuites><testsuite>
<testcase name="a"><properties><property name="requirement" value="RUNC-1"/></properties>
  <failure message="runc: not found"/></testcase>
<testcase name="b"><properties><property name="requirement" value="GUI-1"/></properties>
  <skipped message="no image"/></testcase>
<testcase name="c"><properties><property name="requirement" value="{passed}"/></properties>
</testcase>
</testsuite></testsuites>"""


def test_a_student_lab_may_pass_only_what_any_engine_passes(tmp_path, capsys):
    grading = _script("student-grading")
    (tmp_path / "requirements.md").write_text("The lab is in student mode …")
    (tmp_path / "acceptance.xml").write_text(JUNIT.format(passed="API-1"))  # a capability
    assert grading.main(tmp_path) == 0
    (tmp_path / "acceptance.xml").write_text(JUNIT.format(passed="DCFG-5"))
    assert grading.main(tmp_path) == 1
    assert "passed on a lab where the student did nothing: DCFG-5" in capsys.readouterr().err
    (tmp_path / "acceptance.xml").write_text(JUNIT.format(passed="API-1"))
    (tmp_path / "requirements.md").write_text("no banner")
    assert grading.main(tmp_path) == 1
