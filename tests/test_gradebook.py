"""The grading for other programs (acceptance/gradebook.py): grades.csv for the course's
gradebook, results.json for scripts."""

import csv
import datetime
import json

from acceptance.class_report import graded_ids
from acceptance.report import RequirementReport
from acceptance.report_files import write_reports
from lab.catalogue import load_catalogue
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
