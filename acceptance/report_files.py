"""The requirement report as files an instructor keeps: requirements.md (Markdown) and
requirements.html (one page, no external asset), host by host, each with its score,
the HTML opening on the class matrix when an inventory was graded; beside them the
gradebook's grades.csv and results.json (acceptance/gradebook.py).

    write_reports(report, Path("reports"))   # -> [reports/requirements.md, …html, …]

``report`` is the run's RequirementReport (acceptance/report.py): its catalogue, each
host's status per requirement, the checks' messages and the hosts that could not be
reached.
"""

import datetime
import html
import json
from pathlib import Path

from acceptance.class_report import MATRIX_STYLE, class_rows, graded_ids, matrix
from acceptance.gradebook import grades_csv, progress, results
from acceptance.inventory import host_name

ROLE_WORDS = {
    "main": "node1's requirements (main Docker host)",
    "second": "node2's requirements",
    None: "every requirement (no role)",
}
INTRO = ("A requirement passes on a host when every check of it passed there. A skip says "
         "why and is never a pass. PASS (any engine) marks a requirement any working Docker "
         "engine meets, with nothing of the TP configured: it proves the engine works, not "
         "the student's work. Requirements without a check yet (NOT COVERED) count for "
         "no one.")
STUDENT_MODE = ("The lab is in student mode (lab.yml profile: student): nothing of the TP was "
                "applied for you, so every requirement you have not done yet fails, with what "
                "to do. Each host's next step is its first failure in the TP's order.")


def write_reports(report, folder: Path) -> list[Path]:
    """Writes requirements.md, requirements.html, grades.csv and results.json in
    ``folder``; returns their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rows, students = _rows(report), class_rows(report)
    made = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    written = [folder / name for name in
               ("requirements.md", "requirements.html", "grades.csv", "results.json")]
    written[0].write_text(markdown(report, rows), encoding="utf-8")
    written[1].write_text(page(report, rows), encoding="utf-8")
    with written[2].open("w", encoding="utf-8", newline="") as stream:
        stream.write(grades_csv(students, graded_ids(report.catalogue)))
    written[3].write_text(json.dumps(results(report, students, made), indent=2,
                                     ensure_ascii=False) + "\n", encoding="utf-8")
    return written


def _rows(report) -> dict[str, list[dict]]:
    """Per host (sorted), one row per requirement graded there, in the catalogue's order."""
    rows = {}
    for host in sorted(report.by_host):
        rows[host] = []
        for requirement, entry in report.catalogue.items():
            status = report.host_status(host, requirement)
            if status is None or entry.pending:
                continue
            rows[host].append({
                "id": requirement, "title": entry.title, "status": status,
                "shown": f"{status} (any engine)" if entry.capability and status == "PASS"
                else status,
                "why": list(dict.fromkeys(report.host_details[host, requirement])),
                "hints": (entry.hint_en, entry.hint_fr) if status == "FAIL" else ()})
    return rows


def _next_step(report, host: str) -> list[str]:
    """The host's first failure in the TP's order, as one line (none when nothing failed)."""
    step = report.next_step(host)
    if step is None:
        return []
    entry = report.catalogue[step]
    return [f"Next, in the TP's order: {step} — {entry.hint_en} / {entry.hint_fr}"]


def _summary(report, host: str) -> tuple[str, str, str]:
    """(name, what it was graded on, score) of one host."""
    passed, graded = report.score(host)
    score = f"{passed} / {graded}"
    if report.capabilities_passed(host):
        score += f" ({report.capabilities_passed(host)} of them any engine passes)"
    if host in report.unreachable:
        score += f" — not reached: {report.unreachable[host]}"
    return host_name(host), ROLE_WORDS[report.role(host)], score


def _not_covered(report) -> list[tuple[str, str]]:
    return [(requirement, entry.title) for requirement, entry in report.catalogue.items()
            if entry.pending]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def since_previous(report) -> tuple[str, list[tuple[str, str]]]:
    """With --compare: a heading and, per student, what changed since the earlier
    grading; without, nothing."""
    if not report.previous:
        return "", []
    return (f"Since the grading of {report.previous['made']}",
            [(change.student, str(change))
             for change in progress(report.previous, class_rows(report))])


def markdown(report, rows) -> str:
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = ["# TP 1.5 — requirements, host by host", "",
             f"Graded {now} by `pytest acceptance/`. {INTRO}", "",
             *([f"**{STUDENT_MODE}**", ""] if report.student else []),
             "| Host | Graded on | Score |", "|---|---|---|"]
    lines += ["| " + " | ".join(_cell(part) for part in _summary(report, host)) + " |"
              for host in rows]
    heading, changes = since_previous(report)
    if changes:
        lines += ["", f"## {heading}", "", "| Student | What changed |", "|---|---|"]
        lines += [f"| {_cell(student)} | {_cell(change)} |" for student, change in changes]
    for host, host_rows in rows.items():
        name, role, score = _summary(report, host)
        lines += ["", f"## {name} — {score}", "", f"Graded on {role}.", "",
                  *[f"{_cell(line)}" for line in _next_step(report, host)],
                  *([""] if _next_step(report, host) else []),
                  "| ID | Requirement | Status |", "|---|---|---|"]
        lines += [f"| {row['id']} | {_cell(row['title'])} | "
                  f"{'**' + row['status'] + '**' if row['status'] != 'PASS' else row['shown']} |"
                  for row in host_rows]
        explained = [row for row in host_rows if row["status"] != "PASS"]
        if explained:
            lines += ["", "What failed or was skipped, and what to do:", ""]
        for row in explained:
            lines.append(f"- **{row['id']}** {row['status']}: "
                         + (_cell(" / ".join(row["why"])) or "(no message)"))
            if row["hints"]:
                lines += [f"  - Fix: {_cell(row['hints'][0])}",
                          f"  - À faire : {_cell(row['hints'][1])}"]
    covered = _not_covered(report)
    if covered:
        lines += ["", "## Not covered (no check yet: counted for no one)", ""]
        lines += [f"- {requirement} — {title}" for requirement, title in covered]
    return "\n".join(lines) + "\n"


STYLE = """
body { font-family: sans-serif; margin: 2em; max-width: 70em; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #bbb; padding: .3em .6em; text-align: left; vertical-align: top; }
.PASS { background: #d9f2d9; } .FAIL { background: #f7d4d4; } .SKIP { background: #f3ecc9; }
.why { font-size: .9em; color: #333; } .why p { margin: .2em 0; }
"""


def page(report, rows) -> str:
    e = html.escape
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = ["<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
             "<title>TP 1.5 — requirements</title>",
             f"<style>{STYLE}{MATRIX_STYLE}</style></head><body>",
             "<h1>TP 1.5 — requirements, host by host</h1>",
             f"<p>Graded {e(now)} by <code>pytest acceptance/</code>. {e(INTRO)}</p>",
             *([f"<p><strong>{e(STUDENT_MODE)}</strong></p>"] if report.student else []),
             *([matrix(report, class_rows(report))] if report.students else [])]
    heading, changes = since_previous(report)
    if changes:
        parts += [f"<h2>{e(heading)}</h2>", "<table><tr><th>Student</th><th>What changed</th>"
                  "</tr>", *[f"<tr><td>{e(student)}</td><td>{e(change)}</td></tr>"
                             for student, change in changes], "</table>"]
    parts += [*(["<h2>Host by host</h2>"] if report.students else []),
              "<table><tr><th>Host</th><th>Graded on</th><th>Score</th></tr>"]
    parts += ["<tr>" + "".join(f"<td>{e(part)}</td>" for part in _summary(report, host))
              + "</tr>" for host in rows]
    parts.append("</table>")
    for host, host_rows in rows.items():
        name, role, score = _summary(report, host)
        parts += [f"<h2>{e(name)} — {e(score)}</h2>", f"<p>Graded on {e(role)}.</p>",
                  *[f"<p><strong>{e(line)}</strong></p>" for line in _next_step(report, host)],
                  "<table><tr><th>ID</th><th>Requirement</th><th>Status</th></tr>"]
        for row in host_rows:
            why = "".join(f"<p>{e(reason)}</p>" for reason in row["why"])
            why += "".join(f"<p>{label} {e(hint)}</p>" for label, hint in
                           zip(("Fix:", "À faire :"), row["hints"], strict=False))
            parts.append(f"<tr><td>{e(row['id'])}</td><td>{e(row['title'])}"
                         + (f'<div class="why">{why}</div>' if why else "")
                         + f"</td><td class=\"{row['status']}\">{row['shown']}</td></tr>")
        parts.append("</table>")
    covered = _not_covered(report)
    if covered:
        parts.append("<h2>Not covered (no check yet: counted for no one)</h2><ul>")
        parts += [f"<li>{e(requirement)} — {e(title)}</li>" for requirement, title in covered]
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
