"""The grading for other programs (acceptance/gradebook.py): grades.csv for the course's
gradebook, results.json for scripts, and each student's progress since an earlier
results.json (--compare)."""

import csv
import datetime
import json
import re
import subprocess
import sys
from types import SimpleNamespace

import pytest

from acceptance import conftest as suite
from acceptance.class_report import class_rows, graded_ids
from acceptance.gradebook import Progress, ResultsError, load_results, progress, results
from acceptance.report import RequirementReport
from acceptance.report_files import write_reports
from lab.catalogue import load_catalogue
from lab.settings import REPO
from tests.synthetic_class import outcome, synthetic_class


def read_grades(folder) -> list[dict]:
    with (folder / "grades.csv").open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def test_grades_csv_is_a_gradebook_a_row_per_student_a_column_per_requirement(tmp_path):
    report = synthetic_class(20)  # ada passes RUNC-1 … RUNC-4, skips GUI-1; dennis unreached
    report.students["ada-1"] = report.students["ada-2"] = "Adélaïde Lovelace"
    write_reports(report, tmp_path)
    header = (tmp_path / "grades.csv").read_bytes().decode("utf-8").splitlines()[0]
    assert header == ",".join(["student", "score", *graded_ids(report.catalogue)])
    grades = {row["student"]: row for row in read_grades(tmp_path)}
    assert list(grades)[:6] == ["Adélaïde Lovelace", "alan", "barbara", "brian", "claude",
                                "dennis"] and len(grades) == 20
    ada = grades["Adélaïde Lovelace"]
    assert (ada["RUNC-1"], ada["RUNC-5"], ada["GUI-1"]) == ("1", "0", "")  # GUI-1: skipped
    assert ada["score"] == str(round(100 * 4 / 39, 1))  # 4 of the 39 asked of her hosts
    assert grades["niklaus"]["DCFG-6"] == ""  # passed on niklaus-1, not run on niklaus-2
    assert grades["dennis"]["score"] == "0.0"


def test_a_requirement_not_asked_of_a_student_s_hosts_is_empty(tmp_path):
    report = RequirementReport(load_catalogue(), roles={"bob-2": "second"})
    report.pytest_runtest_logreport(outcome("RUNC-2", "bob-2", "passed"))
    report.pytest_runtest_logreport(outcome("DCFG-1", "bob-2", "failed", "no daemon"))
    write_reports(report, tmp_path)
    [bob] = read_grades(tmp_path)
    assert {r: g for r, g in bob.items() if g} == {"student": "bob", "score": "33.3",
                                                   "RUNC-2": "1", "DCFG-1": "0"}


def test_results_json_has_every_host_its_student_role_and_what_the_checks_said(tmp_path):
    write_reports(synthetic_class(20), tmp_path)
    data = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    made = datetime.datetime.fromisoformat(data["made"])
    assert made.tzinfo and abs(made - datetime.datetime.now(datetime.UTC)).seconds < 60
    hosts = {host["host"]: host for host in data["hosts"]}
    assert len(hosts) == 40
    ada = hosts["ada-1"]
    assert (ada["student"], ada["role"], ada["unreachable"]) == ("ada", "main", None)
    assert ada["requirements"]["RUNC-1"] == {"status": "PASS", "message": ""}
    assert ada["requirements"]["RUNC-5"] == {
        "status": "FAIL", "message": "RUNC-5 is not met on ada-1: what the check saw, and what "
        "to type"}
    assert ada["requirements"]["GUI-1"]["status"] == "SKIP"
    assert set(hosts["ada-2"]["requirements"]) == {"RUNC-2", "DCFG-1", "DCFG-6"}
    assert hosts["dennis-1"]["unreachable"].startswith("timed out")
    students = {student["student"]: student for student in data["students"]}
    assert students["ada"]["hosts"] == ["ada-1", "ada-2"]
    assert (students["ada"]["passed"], students["ada"]["asked"]) == (4, 39)
    assert students["niklaus"]["requirements"]["DCFG-6"] == "NOT RUN"


def graded(statuses: dict[str, str], **options) -> RequirementReport:
    """alice-1 graded on no role: requirement -> passed | failed."""
    report = RequirementReport(load_catalogue(), **options)
    for requirement, status in statuses.items():
        report.pytest_runtest_logreport(outcome(requirement, "alice-1", status, "nope"))
    return report


def earlier(tmp_path, statuses: dict[str, str]) -> dict:
    """The results.json of an earlier grading of alice-1, as --compare reads it."""
    write_reports(graded(statuses), tmp_path / "before")
    return load_results(tmp_path / "before" / "results.json")


def test_progress_names_what_newly_passes_and_newly_fails(tmp_path):
    before = earlier(tmp_path, {"RUNC-1": "passed", "RUNC-2": "failed", "RUNC-3": "failed"})
    now = graded({"RUNC-1": "failed", "RUNC-2": "passed", "RUNC-3": "failed"})
    [change] = progress(before, class_rows(now))
    assert change == Progress("alice", ["RUNC-2"], ["RUNC-1"])
    assert str(change) == "newly passing RUNC-2; newly failing RUNC-1"
    assert str(Progress("bob", [], [])) == "no change"
    assert str(Progress("carol", [], [], known=False)) == "not in the earlier grading"


def test_the_report_says_each_student_s_progress_since_the_earlier_grading(tmp_path):
    before = earlier(tmp_path, {"RUNC-1": "failed"})
    report = graded({"RUNC-1": "passed", "RUNC-2": "failed"}, previous=before,
                    folder=tmp_path / "now")
    lines = []
    report.pytest_terminal_summary(SimpleNamespace(write_line=lines.append,
                                                   section=lambda title: None))
    heading = f"Since the grading of {before['made']}"
    assert lines[lines.index(f"{heading}:") + 1] == (
        "    alice: newly passing RUNC-1; newly failing RUNC-2")
    markdown = (tmp_path / "now" / "requirements.md").read_text()
    assert f"## {heading}" in markdown
    assert "| alice | newly passing RUNC-1; newly failing RUNC-2 |" in markdown
    page = (tmp_path / "now" / "requirements.html").read_text()
    assert "<tr><td>alice</td><td>newly passing RUNC-1; newly failing RUNC-2</td></tr>" in page


def test_without_compare_the_report_says_nothing_of_progress(tmp_path):
    write_reports(graded({"RUNC-1": "passed"}), tmp_path)
    assert "Since the grading" not in (tmp_path / "requirements.md").read_text()


@pytest.mark.parametrize("content, said", [
    (None, "cannot be read (No such file or directory)"),
    ("{not json", "not JSON"),
    ('{"made": "2025-01-01", "students": [{"student": "alice"}]}',
     "not the results.json of a grading"),
    ("[]", "not the results.json of a grading"),
])
def test_compare_refuses_a_file_that_is_not_an_earlier_results_json(tmp_path, content, said):
    path = tmp_path / "old.json"
    if content is not None:
        path.write_text(content)
    expected = re.escape(f"{path}: {said}")
    with pytest.raises(ResultsError, match=f"^{expected}"):
        load_results(path)
    with pytest.raises(pytest.UsageError, match=f"^--compare {expected}"):
        suite.earlier_grading(str(path))


def test_compare_with_a_missing_file_stops_the_grading_before_it_starts(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "acceptance/test_runc.py", "--hosts=local://",
         "--compare", str(tmp_path / "missing.json"), "-p", "no:cacheprovider"],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == pytest.ExitCode.USAGE_ERROR, run.stdout[-2000:]
    assert f"--compare {tmp_path / 'missing.json'}: cannot be read" in run.stderr


def test_results_json_written_is_one_compare_reads(tmp_path):
    report = synthetic_class(2)
    data = results(report, class_rows(report), "2025-01-01T00:00:00+00:00")
    (tmp_path / "results.json").write_text(json.dumps(data))
    assert load_results(tmp_path / "results.json") == data
