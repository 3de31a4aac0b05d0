"""The per-requirement report printed at the end of an acceptance run.

One line per requirement of lab/requirements.yml, for an instructor:

    RUNC-1  PASS         runc is installed and on PATH              paramiko://node1, paramiko://node2
    RUNC-3  FAIL         docker info reports runc as default …      paramiko://node1
            -> Configure Docker to use runc (hint from the catalogue)
    RKT-1   NOT COVERED  rkt 1.29.0 installed …                      no acceptance test yet

A requirement passes only when every test that names it passed on every host;
a skip is never a pass. The report reads each test's ``requirement`` and
``host`` user properties, recorded at collection (conftest.py,
acceptance/conftest.py); a test without a host shows as ``-``.
"""

import textwrap
from collections import defaultdict

import pytest

STATUS_ORDER = ("FAIL", "SKIP", "PASS")


class RequirementReport:
    """pytest plugin: collects each test's outcome under its requirement IDs."""

    def __init__(self, catalogue):
        self.catalogue = catalogue
        self.outcomes = defaultdict(lambda: defaultdict(set))  # id -> status -> {host}
        self.details = defaultdict(list)  # id -> ["host: reason"]
        self.notes = defaultdict(dict)  # id -> {note: None}, what a test records with
        # record_property("note", …), e.g. which image it ran: shown whatever the outcome

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        requirements = [value for key, value in report.user_properties if key == "requirement"]
        if not requirements or (report.when != "call" and report.passed):
            return
        host = next((value for key, value in report.user_properties if key == "host"), "-")
        for requirement in requirements:
            self.notes[requirement].update(
                (f"{host}: {value}", None) for key, value in report.user_properties
                if key == "note")
        if report.passed:
            status, detail = "PASS", None
        elif report.skipped:
            status = "SKIP"
            longrepr = report.longrepr
            detail = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        else:
            status = "FAIL"
            detail = getattr(report.longrepr, "reprcrash", None)
            detail = detail.message if detail else str(report.longrepr).splitlines()[-1]
        for requirement in requirements:
            self.outcomes[requirement][status].add(host)
            if detail:
                self.details[requirement].append(f"{host}: {detail.splitlines()[0]}")

    def status(self, requirement: str) -> str:
        outcomes = self.outcomes.get(requirement)
        if not outcomes:
            return "NOT COVERED" if self.catalogue[requirement].pending else "NOT RUN"
        return next(s for s in STATUS_ORDER if outcomes.get(s))

    def pytest_terminal_summary(self, terminalreporter) -> None:
        write = terminalreporter.write_line
        terminalreporter.section("TP 1.5 requirements")
        counts = defaultdict(int)
        for requirement, entry in self.catalogue.items():
            status = self.status(requirement)
            counts[status] += 1
            hosts = ", ".join(sorted(self.outcomes[requirement].get(status, ())))
            if status == "NOT COVERED":
                hosts = "no acceptance test yet"
            write(f"{requirement:<7} {status:<12} {entry.title[:60]:<60} {hosts}")
            for note in self.notes[requirement]:
                write(f"        note: {note[:150]}")
            if status in ("FAIL", "SKIP"):
                # each reason once, whole (a skip's says what is missing and how to make it)
                for detail in list(dict.fromkeys(self.details[requirement]))[:4]:
                    for line in textwrap.wrap(detail, 140):
                        write(f"        {line}")
                if status == "FAIL":
                    write(f"        -> {entry.hint_en}")
                    write(f"        -> {entry.hint_fr}")
        write(", ".join(f"{count} {status.lower()}" for status, count in sorted(counts.items())))
