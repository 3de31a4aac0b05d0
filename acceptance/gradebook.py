"""The grading for other programs: grades.csv for the course's gradebook, results.json
for scripts.

    rows = class_rows(report)                 # acceptance/class_report.py
    grades_csv(rows, graded_ids(catalogue))   # 'student,score,RUNC-1,…\\r\\nalice,51.3,1,0,,…'
    results(report, rows, made)               # {"made": …, "hosts": […], "students": […]}

grades.csv: UTF-8, a header row, commas; per student their name (the identifier
column), their score (the percentage of the requirements asked of their hosts that
passed), then per requirement 1 (passed), 0 (failed) or nothing (skipped, not run, or
not asked of their hosts).
"""

import csv
import io

from acceptance.inventory import host_name

GRADE = {"PASS": 1, "FAIL": 0}  # anything else: an empty cell, graded by no one


def grades_csv(rows, ids: list[str]) -> str:
    """The gradebook: a header, then one line per student (``rows``: class_rows)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["student", "score", *ids])
    for row in rows:
        passed, asked = row.score
        cells = [GRADE.get(row.cells[r].status, "") if r in row.cells else "" for r in ids]
        writer.writerow([row.name, round(100 * passed / asked, 1) if asked else "", *cells])
    return out.getvalue()


def results(report, rows, made: str) -> dict:
    """Every host (its student, role, each requirement graded there with its status and
    the check's message) and every student (their cells), made at ``made`` (ISO 8601)."""
    hosts = [{"host": host_name(host), "student": report.student_of(host),
              "role": report.role(host), "unreachable": report.unreachable.get(host),
              "requirements": {
                  r: {"status": status,
                      "message": " / ".join(dict.fromkeys(report.host_details[host, r]))}
                  for r in report.catalogue if (status := report.host_status(host, r))}}
             for host in sorted(report.by_host)]
    students = [{"student": row.name, "hosts": [host_name(host) for host in row.hosts],
                 "passed": row.score[0], "asked": row.score[1],
                 "requirements": {r: cell.status for r, cell in row.cells.items()}}
                for row in rows]
    return {"made": made, "hosts": hosts, "students": students}
