"""A class at a glance: one row per student, their hosts together, one cell per
requirement, in the TP's order; the rows of the HTML report's matrix and of grades.csv.

    rows = class_rows(report)        # [StudentRow(name='alice', hosts=(…alice-1, …alice-2))]
    rows[0].cells["DCFG-5"].status   # 'FAIL': it failed on one of alice's hosts
    rows[0].score                    # (12, 39): passed, asked of her hosts
    matrix(report, rows)             # the HTML table, with its legend

``report`` is the run's RequirementReport (acceptance/report.py). A cell combines the
student's hosts whose role asks the requirement: FAIL when it failed on any of them,
else SKIP, else NOT RUN (asked there, no check of it ran), and PASS only when it passed
on each; a requirement none of them is asked has no cell (an empty one in the matrix).
"""

import html
from dataclasses import dataclass

from acceptance.inventory import host_name
from lab.catalogue import SECTIONS

COMBINED = ("FAIL", "SKIP", "NOT RUN", "PASS")  # the first present is the student's
SYMBOLS = {"PASS": "✓", "ANY": "(✓)", "FAIL": "✗", "SKIP": "S", "NOT-RUN": "?", "NA": ""}
LEGEND = {"PASS": "PASS", "ANY": "PASS (any engine)", "FAIL": "FAIL", "SKIP": "SKIP",
          "NOT-RUN": "NOT RUN", "NA": "not asked of the student's hosts"}


@dataclass(frozen=True)
class Cell:
    status: str  # FAIL | SKIP | NOT RUN | PASS
    any_engine: bool  # a PASS any working engine gets (the catalogue's capability)
    tip: str  # the requirement, then each host's status and the check's message

    @property
    def kind(self) -> str:
        """Its CSS class and symbol: PASS, ANY (PASS, any engine), FAIL, SKIP, NOT-RUN."""
        return "ANY" if self.any_engine and self.status == "PASS" else \
            self.status.replace(" ", "-")


@dataclass(frozen=True)
class StudentRow:
    name: str
    hosts: tuple[str, ...]  # as the report knows them: paramiko://alice-1
    cells: dict[str, Cell]  # requirement ID -> its cell; absent: asked of none of the hosts
    next_step: str | None  # the first failure in the TP's order on a host that was reached
    unreachable: dict[str, str]  # host -> why it could not be graded

    @property
    def score(self) -> tuple[int, int]:
        """(requirements passed, requirements asked of the student's hosts)."""
        return sum(cell.status == "PASS" for cell in self.cells.values()), len(self.cells)


def graded_ids(catalogue) -> list[str]:
    """The requirements with a check, in the TP's order: the matrix's and grades.csv's
    columns (one without a check yet counts for no one)."""
    order = list(SECTIONS)
    ids = [r for r, entry in catalogue.items() if not entry.pending]
    return sorted(ids, key=lambda r: order.index(catalogue[r].section))


def class_rows(report) -> list[StudentRow]:
    """One row per student of the graded hosts, by name."""
    hosts_of: dict[str, list[str]] = {}
    for host in sorted(report.by_host):
        hosts_of.setdefault(report.student_of(host), []).append(host)
    return [_row(report, name, hosts) for name, hosts in sorted(hosts_of.items())]


def _row(report, name: str, hosts: list[str]) -> StudentRow:
    cells = {}
    for requirement in graded_ids(report.catalogue):
        if cell := _cell(report, hosts, requirement):
            cells[requirement] = cell
    steps = {report.next_step(host) for host in hosts} - {None}
    return StudentRow(name, tuple(hosts), cells,
                      next((r for r in report.catalogue if r in steps), None),
                      {host: report.unreachable[host] for host in hosts
                       if host in report.unreachable})


def _cell(report, hosts: list[str], requirement: str) -> Cell | None:
    """The student's cell of ``requirement`` over ``hosts`` (None: asked of none)."""
    statuses = {}
    for host in hosts:
        status = report.host_status(host, requirement)
        if status or report.owes(host, requirement):
            statuses[host] = status or "NOT RUN"
    if not statuses:
        return None
    entry = report.catalogue[requirement]
    lines = [f"{requirement} — {entry.title}"]
    for host, status in statuses.items():
        why = " / ".join(dict.fromkeys(report.host_details[host, requirement]))
        lines.append(f"{host_name(host)}: {status}" + (f" — {why}" if why else ""))
    status = next(s for s in COMBINED if s in statuses.values())
    return Cell(status, entry.capability, "\n".join(lines))


MATRIX_STYLE = """
.legend span { display: inline-block; padding: 0 .4em; margin-right: .3em; border: 1px solid #aaa; }
.matrix-wrap { width: fit-content; max-width: calc(100vw - 4em); max-height: 85vh;
  overflow: auto; border: 1px solid #999; }
table.matrix { border-collapse: separate; border-spacing: 0; margin: 0; font-size: 13px; }
.matrix th, .matrix td { border: 0; border-right: 1px solid #ccc; border-bottom: 1px solid #ccc;
  padding: 0 .3em; white-space: nowrap; }
.matrix thead th { position: sticky; top: 0; z-index: 2; background: #eee; text-align: center; }
.matrix tr.sections th { height: 1.8em; box-sizing: border-box; }
.matrix tr.ids th { top: 1.8em; padding: .3em 0; font-weight: normal; }
.matrix tr.ids th span { writing-mode: vertical-rl; transform: rotate(180deg); }
.matrix .who { position: sticky; left: 0; z-index: 1; background: #fff; text-align: left;
  min-width: 8em; }
.matrix thead th.who { z-index: 3; background: #eee; }
.matrix .who small { color: #555; margin-left: .4em; }
.matrix .start { border-left: 2px solid #777; }
.matrix td.c { width: 1.6em; min-width: 1.6em; height: 1.6em; padding: 0; text-align: center;
  cursor: default; }
.matrix td.score { text-align: right; }
.matrix td.next { max-width: 16em; overflow: hidden; text-overflow: ellipsis; }
.matrix tbody tr:hover td, .matrix tbody tr:hover th { border-bottom-color: #000; }
.matrix td.PASS, .legend .PASS { background: #9fd89f; }
.matrix td.ANY, .legend .ANY { background: #dcefc8; color: #465; }
.matrix td.FAIL, .legend .FAIL { background: #f19a9a; }
.matrix td.SKIP, .legend .SKIP { background: #f5e08a; }
.matrix td.NOT-RUN, .legend .NOT-RUN { background: #cfd8e0; }
.matrix td.NA, .legend .NA {
  background: repeating-linear-gradient(45deg, #fff 0 3px, #eee 3px 6px); }
@media print {
  @page { size: A4 landscape; margin: 1cm; }
  body { margin: 0; max-width: none; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  .matrix-wrap { max-height: none; max-width: none; overflow: visible; border: 0; }
  .matrix thead th, .matrix .who { position: static; }
  table.matrix { font-size: 7pt; }
  .matrix tr { break-inside: avoid; }
  .matrix td.next { max-width: 10em; }
}
"""


def matrix(report, rows: list[StudentRow]) -> str:
    """The class matrix as HTML: a row per student (their hosts beside their name), a
    column per requirement under its TP section, then the score and the next step; each
    cell's tooltip gives each host's status and the check's message."""
    e = html.escape
    ids = graded_ids(report.catalogue)
    sections = list(dict.fromkeys(report.catalogue[r].section for r in ids))
    starts = {next(r for r in ids if report.catalogue[r].section == s) for s in sections}
    parts = ['<h2 id="class">The class at a glance</h2>',
             '<p class="legend">' + "".join(f'<span class="{kind}">{SYMBOLS[kind]}&nbsp;'
                                            f'{e(words)}</span>'
                                            for kind, words in LEGEND.items())
             + " — hover a cell for the check's message; the hosts' own tables follow.</p>",
             '<div class="matrix-wrap"><table class="matrix"><thead><tr class="sections">',
             '<th class="who" rowspan="2">Student</th>',
             *[f'<th class="start" colspan="{sum(report.catalogue[r].section == s for r in ids)}"'
               f">{e(s)}</th>" for s in sections],
             '<th rowspan="2">Score</th><th rowspan="2">Next step</th></tr><tr class="ids">',
             *[f'<th{" class=start" if r in starts else ""} title="{e(r)} — '
               f'{e(report.catalogue[r].title)}"><span>{e(r)}</span></th>' for r in ids],
             "</tr></thead><tbody>"]
    for row in rows:
        names = " ".join(host_name(host) for host in row.hosts)
        parts.append(f'<tr><th class="who" title="{e(names)}">{e(row.name)}'
                     f"<small>{e(names)}</small></th>")
        for r in ids:
            cell = row.cells.get(r)
            kind = cell.kind if cell else "NA"
            parts.append(f'<td class="c {kind}{" start" if r in starts else ""}" '
                         f'data-req="{e(r)}" title="{e(cell.tip if cell else r)}">'
                         f"{SYMBOLS[kind]}</td>")
        passed, owed = row.score
        parts.append(f'<td class="score">{passed}/{owed}</td>' + _next_cell(report, row)
                     + "</tr>")
    parts.append("</tbody></table></div>")
    return "\n".join(parts)


def _next_cell(report, row: StudentRow) -> str:
    """The row's next step (its hint as tooltip), or why a host was not reached."""
    e = html.escape
    if row.unreachable and len(row.unreachable) == len(row.hosts):
        why = "; ".join(f"{host_name(h)}: {reason}" for h, reason in row.unreachable.items())
        return f'<td class="next FAIL" title="{e(why)}">not reached</td>'
    if row.next_step is None:
        return '<td class="next">—</td>'
    entry = report.catalogue[row.next_step]
    return (f'<td class="next" title="{e(entry.hint_en)} / {e(entry.hint_fr)}">'
            f"{e(row.next_step)} {e(entry.title)}</td>")
