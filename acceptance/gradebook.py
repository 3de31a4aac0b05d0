"""The grading for other programs: grades.csv for the course's gradebook, results.json
for scripts, and each student's progress since an earlier results.json (``--compare``).

    rows = class_rows(report)                 # acceptance/class_report.py
    grades_csv(rows, graded_ids(catalogue))   # 'student,score,RUNC-1,…\\r\\nalice,51.3,1,0,,…'
    results(report, rows, made)               # {"made": …, "hosts": […], "students": […]}
    progress(load_results("old/results.json"), rows)   # [Progress('alice', ['RUNC-2'], [])]

grades.csv: UTF-8, a header row, commas; per student their name (the identifier
column), their score (the percentage of the requirements asked of their hosts that
passed), then per requirement 1 (passed), 0 (failed) or nothing (skipped, not run, or
not asked of their hosts).
"""

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

from acceptance.inventory import host_name

GRADE = {"PASS": 1, "FAIL": 0}  # anything else: an empty cell, graded by no one


@dataclass(frozen=True)
class Progress:
    student: str
    passing: list[str]  # requirement IDs that pass now and did not then
    failing: list[str]  # requirement IDs that fail now and did not then
    known: bool = True  # False: the student is not in the earlier grading

    def __str__(self) -> str:
        """What changed, in words: ``newly passing RUNC-2; newly failing DCFG-5``."""
        if not self.known:
            return "not in the earlier grading"
        said = [f"newly {what} {', '.join(ids)}" for what, ids in
                (("passing", self.passing), ("failing", self.failing)) if ids]
        return "; ".join(said) or "no change"


class ResultsError(ValueError):
    """A results.json that cannot be compared with: says which file and why."""


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


def load_results(path) -> dict:
    """An earlier grading's results.json; raises ResultsError naming the file."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise ResultsError(f"{path}: cannot be read ({error.strerror})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ResultsError(f"{path}: not JSON ({error})") from None
    students = data.get("students") if isinstance(data, dict) else None
    if not (isinstance(students, list) and isinstance(data.get("made"), str) and all(
            isinstance(s, dict) and isinstance(s.get("student"), str)
            and isinstance(s.get("requirements"), dict) for s in students)):
        raise ResultsError(f"{path}: not the results.json of a grading (it wants `made` and "
                           "`students`, each with `student` and `requirements`)")
    return data


def progress(previous: dict, rows) -> list[Progress]:
    """Per student of ``rows``, what passes and fails now that did not in ``previous``
    (an earlier results.json)."""
    before = {s["student"]: s["requirements"] for s in previous["students"]}
    changes = []
    for row in rows:
        if row.name not in before:
            changes.append(Progress(row.name, [], [], known=False))
        else:
            then = before[row.name]
            changes.append(Progress(row.name, _newly("PASS", row.cells, then),
                                    _newly("FAIL", row.cells, then)))
    return changes


def _newly(status: str, cells: dict, then: dict) -> list[str]:
    """The requirements whose cell has ``status`` now and had another one ``then``."""
    return [r for r, cell in cells.items() if cell.status == status and then.get(r) != status]
