"""A class at a glance (acceptance/class_report.py): a row per student, their hosts'
outcomes combined, checked on recorded outcomes and in a real browser."""

import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from acceptance.class_report import class_rows, graded_ids
from acceptance.report import RequirementReport
from acceptance.report_files import write_reports
from lab.catalogue import SECTIONS, load_catalogue
from tests.synthetic_class import outcome, synthetic_class
from tests.test_report import graded_class


def alice(**options) -> RequirementReport:
    """alice-1 (main) and alice-2 (second): DCFG-6 passes on alice-1 and fails on
    alice-2; RUNC-2 passes on both; RUNC-1 (a capability) passes on alice-1; nothing else
    ran."""
    report = RequirementReport(load_catalogue(), roles={"alice-1": "main", "alice-2": "second"},
                               **options)
    for requirement, host, status in (("DCFG-6", "alice-1", "passed"),
                                      ("DCFG-6", "alice-2", "failed"),
                                      ("RUNC-2", "alice-1", "passed"),
                                      ("RUNC-2", "alice-2", "passed"),
                                      ("RUNC-1", "alice-1", "passed")):
        report.pytest_runtest_logreport(outcome(requirement, host, status,
                                                "port 2376 refused the client"))
    return report


def test_a_student_s_two_hosts_make_one_row_a_cell_failing_when_either_fails():
    [row] = class_rows(alice())
    assert (row.name, row.hosts) == ("alice", ("paramiko://alice-1", "paramiko://alice-2"))
    cell = row.cells["DCFG-6"]
    assert cell.status == "FAIL"
    assert cell.tip.splitlines()[1:] == ["alice-1: PASS",
                                         "alice-2: FAIL — port 2376 refused the client"]
    assert cell.tip.startswith("DCFG-6 — ")  # the requirement's title first
    assert row.cells["RUNC-2"].status == "PASS"
    assert row.cells["RUNC-1"].kind == "ANY"  # PASS (any engine)
    # asked of alice-1 (main), no check of it ran: not a pass, never hidden
    assert row.cells["RUNC-3"].kind == "NOT-RUN"
    assert row.cells["RUNC-3"].tip.splitlines()[1:] == ["alice-1: NOT RUN"]
    assert row.score == (2, 39) and row.next_step == "DCFG-6"


def test_a_second_host_alone_is_asked_only_what_the_tp_asks_of_node2():
    report = RequirementReport(load_catalogue(), roles={"bob-2": "second"})
    report.pytest_runtest_logreport(outcome("RUNC-2", "bob-2", "passed"))
    [row] = class_rows(report)
    assert set(row.cells) == {"RUNC-2", "DCFG-1", "DCFG-6"}
    assert row.score == (1, 3)


def test_the_inventory_says_whose_hosts_they_are_whatever_their_names():
    report = RequirementReport(load_catalogue(), students={"vm-a": "carol", "vm-b": "carol"})
    for host in ("vm-a", "vm-b", "dave-1"):
        report.pytest_runtest_logreport(outcome("RUNC-1", host, "passed"))
    assert [(row.name, len(row.hosts)) for row in class_rows(report)] == [("carol", 2),
                                                                          ("dave", 1)]


def test_the_columns_follow_the_tp_s_sections():
    catalogue = load_catalogue()
    sections = [catalogue[r].section for r in graded_ids(catalogue)]
    assert list(dict.fromkeys(sections)) == [s for s in SECTIONS if s in sections]


def test_the_html_report_opens_with_the_class_only_when_an_inventory_was_graded(tmp_path):
    write_reports(alice(students={"alice-1": "alice", "alice-2": "alice"}), tmp_path / "class")
    page = (tmp_path / "class" / "requirements.html").read_text()
    assert page.index('<table class="matrix">') < page.index("<h2>Host by host</h2>") \
        < page.index("<h2>alice-1 — ")
    assert page.count('<tr><th class="who"') == 1
    assert 'title="alice-1: FAIL' not in page and "alice-2: FAIL — port 2376 refused" in page
    assert "@media print" in page and "position: sticky" in page

    write_reports(graded_class(tmp_path / "hosts"), tmp_path / "hosts")
    assert 'class="matrix"' not in (tmp_path / "hosts" / "requirements.html").read_text()


class MatrixCells(HTMLParser):
    """The class matrix's body as a browser left it: per row, the student and each
    requirement cell's (data-req, class, title)."""

    def __init__(self):
        super().__init__()
        self.rows, self.where = [], None  # where: None, "matrix", "body" (its tbody)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("class") == "matrix":
            self.where = "matrix"
        elif tag == "tbody" and self.where:
            self.where = "body"
        elif self.where == "body" and tag == "tr":
            self.rows.append({"cells": []})
        elif self.where == "body" and tag == "th" and attrs.get("class") == "who":
            self.rows[-1]["student"] = None
        elif self.where == "body" and tag == "td" and "data-req" in attrs:
            self.rows[-1]["cells"].append((attrs["data-req"], attrs["class"], attrs["title"]))

    def handle_data(self, data):
        if self.rows and self.rows[-1].get("student", "") is None:
            self.rows[-1]["student"] = data

    def handle_endtag(self, tag):
        if tag == "table":
            self.where = None


@pytest.mark.skipif(shutil.which("chromium") is None,
                    reason="chromium is not installed: apt-get install chromium")
@pytest.mark.parametrize("students", [1, 30], ids=["2 hosts", "60 hosts"])
def test_a_browser_renders_the_class_matrix(tmp_path, students):
    report = synthetic_class(students)
    write_reports(report, tmp_path)
    run = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
         (tmp_path / "requirements.html").as_uri()],
        capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0 and run.stdout.rstrip().endswith("</html>"), run.stderr[-2000:]
    assert '<h2 id="class">The class at a glance</h2>' in run.stdout
    parser = MatrixCells()
    parser.feed(run.stdout)
    ids = graded_ids(report.catalogue)
    rows = class_rows(report)
    assert [row["student"] for row in parser.rows] == [row.name for row in rows]
    for shown, row in zip(parser.rows, rows, strict=True):
        assert [cell[0] for cell in shown["cells"]] == ids
        assert [cell[1].split()[1] for cell in shown["cells"]] == [
            row.cells[r].kind if r in row.cells else "NA" for r in ids]
    ada = dict((req, title) for req, _, title in parser.rows[0]["cells"])
    assert ada["RUNC-5"].splitlines()[1] == ("ada-1: FAIL — RUNC-5 is not met on ada-1: what "
                                            "the check saw, and what to type")
    if students == 30:  # the sixth student: nothing reached, every cell failed
        assert {cell[1] for cell in parser.rows[5]["cells"]} == {"c FAIL", "c FAIL start"}
        assert len(parser.rows) * len(ids) == 30 * 39
