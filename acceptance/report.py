"""The per-requirement report printed at the end of an acceptance run.

One line per requirement of lab/requirements.yml, for an instructor:

    RUNC-1  PASS         runc is installed and on PATH              paramiko://node1, paramiko://node2
    RUNC-3  FAIL         docker info reports runc as default …      paramiko://node1
            -> Configure Docker to use runc (hint from the catalogue)
    RKT-1   NOT COVERED  rkt 1.29.0 installed …                      no acceptance test yet
    DCFG-6  NOT RUN      docker-tcp.service runs …                 no check of it ran (node2 …)

A requirement passes only when every test that names it passed on every host;
a skip is never a pass. On the lab, a node that is not running fails the run (its
requirements show NOT RUN). Grading other hosts (--inventory, --hosts), a run in which
some requirement of a host's role was skipped or not run fails too, naming them: an
unattended grading cannot look complete when it checked less than it should. The
report reads each test's ``requirement`` and ``host`` user properties, recorded at
collection (conftest.py, acceptance/conftest.py); a test without a host shows as ``-``.
"""

import re
import textwrap
from collections import defaultdict

import pytest

from acceptance.inventory import UNREACHABLE, host_name, student_of
from acceptance.report_files import ROLE_WORDS, STUDENT_MODE, since_previous, write_reports

STATUS_ORDER = ("FAIL", "SKIP", "PASS")


class RequirementReport:
    """pytest plugin: collects each test's outcome under its requirement IDs."""

    def __init__(self, catalogue, nodes_down=(), roles=None, default_role=None, folder=None,
                 student=False, complete=False, students=None, previous=None):
        self.catalogue = catalogue
        self.students = dict(students or {})  # host name -> its student, from --inventory:
        # the HTML report then opens with the class matrix (acceptance/class_report.py)
        self.previous = previous  # an earlier grading's results.json (--compare), or None
        self.complete = complete  # every requirement of each host's role must be graded:
        # other hosts than the lab's, whose skips are the grader's missing input
        self.student = student  # the lab in profile student: the TP is the student's to do
        self.nodes_down = tuple(nodes_down)  # the lab's nodes not running: their checks
        # were not run, and the run fails
        self.roles = dict(roles or {})  # host name -> main | second | None (everything)
        self.default_role = default_role  # for a host the roles do not name (--role)
        self.folder = folder  # where requirements.md and .html are written; None: not
        self.by_host = defaultdict(lambda: defaultdict(set))  # host -> id -> {status}
        self.host_details = defaultdict(list)  # (host, id) -> [reason]
        self.unreachable = {}  # host -> why it could not be graded
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
        if detail:  # the check's own words, without pytest's "AssertionError: " & co.
            detail = re.sub(r"^(AssertionError|Failed|Skipped): ", "", detail.strip())
        if status == "FAIL" and detail and UNREACHABLE in detail:
            self.unreachable[host] = detail.split(UNREACHABLE, 1)[1]
        for requirement in requirements:
            self.outcomes[requirement][status].add(host)
            self.by_host[host][requirement].add(status)
            if detail:
                self.details[requirement].append(f"{host}: {detail.splitlines()[0]}")
                self.host_details[host, requirement].append(detail.splitlines()[0])

    def host_status(self, host: str, requirement: str) -> str | None:
        """The requirement's status on one host (None: not graded there)."""
        statuses = self.by_host[host].get(requirement)
        return next(s for s in STATUS_ORDER if s in statuses) if statuses else None

    def score(self, host: str) -> tuple[int, int]:
        """(requirements passed, requirements graded) on ``host``: a skip is graded and
        never passed; a requirement without checks (NOT COVERED) is not graded."""
        graded = [r for r in self.by_host[host] if not self.catalogue[r].pending]
        return sum(self.host_status(host, r) == "PASS" for r in graded), len(graded)

    def capabilities_passed(self, host: str) -> int:
        """How many of ``host``'s passes any working engine gets (catalogue: capability)."""
        return sum(self.host_status(host, r) == "PASS" for r in self.by_host[host]
                   if self.catalogue[r].capability)

    def next_step(self, host: str) -> str | None:
        """The first requirement, in the TP's order (the catalogue's), that failed on
        ``host``: what the student does next (None when nothing failed, or the host could
        not be reached)."""
        if host in self.unreachable:
            return None
        return next((r for r in self.catalogue if self.host_status(host, r) == "FAIL"), None)

    def role(self, host: str) -> str | None:
        """The role ``host`` (``paramiko://alice-1``) was graded in."""
        return self.roles.get(host_name(host), self.default_role)

    def status(self, requirement: str) -> str:
        outcomes = self.outcomes.get(requirement)
        if not outcomes:
            return "NOT COVERED" if self.catalogue[requirement].pending else "NOT RUN"
        return next(s for s in STATUS_ORDER if outcomes.get(s))

    def student_of(self, host: str) -> str:
        """Whose host ``host`` (``paramiko://alice-1``) is: the inventory's ``student:``,
        else its name without a trailing ``-N`` (``alice``)."""
        name = host_name(host)
        return self.students.get(name) or student_of(name)

    def owes(self, host: str, requirement: str) -> bool:
        """Whether ``host``'s role asks ``requirement`` (and it has a check): a second
        host owes only what the TP asks of node2 (the catalogue's ``second``)."""
        entry = self.catalogue[requirement]
        return not entry.pending and (entry.second or self.role(host) != "second")

    def not_graded(self, host: str) -> list[str]:
        """The requirements of ``host``'s role that were skipped or not run there, each
        with its status, e.g. ``['DCFG-6 (skip)', 'GUI-2 (not run)']``."""
        return [f"{r} ({(self.host_status(host, r) or 'not run').lower()})"
                for r in self.catalogue
                if self.owes(host, r) and self.host_status(host, r) in (None, "SKIP")]

    def incomplete(self) -> dict[str, list[str]]:
        """Grading other hosts: each host with requirements of its role not graded."""
        if not self.complete:
            return {}
        return {host: missing for host in sorted(self.by_host)
                if (missing := self.not_graded(host))}

    def pytest_sessionfinish(self, session) -> None:
        """A lab run without one of its nodes graded less than the lab: it fails; so does
        a grading of other hosts that left some of a host's requirements ungraded."""
        if (self.nodes_down or self.incomplete()) and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter) -> None:
        write = terminalreporter.write_line
        terminalreporter.section("TP 1.5 requirements")
        if self.student:
            write(STUDENT_MODE)
        counts = defaultdict(int)
        for requirement, entry in self.catalogue.items():
            status = self.status(requirement)
            counts[status] += 1
            hosts = ", ".join(sorted(self.outcomes[requirement].get(status, ())))
            if status == "NOT COVERED":
                hosts = "no acceptance test yet"
            elif status == "NOT RUN":
                hosts = "no check of it ran" + (
                    f" ({', '.join(self.nodes_down)} not running)" if self.nodes_down else "")
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
        for host in sorted(self.by_host):
            passed, graded = self.score(host)
            why = f"; {self.unreachable[host]}" if host in self.unreachable else ""
            engine = self.capabilities_passed(host)
            engine = f" ({engine} of them any working engine passes)" if engine else ""
            write(f"{host_name(host)}: {passed}/{graded} requirements passed{engine}, graded "
                  f"on {ROLE_WORDS[self.role(host)]}{why}")
            if step := self.next_step(host):
                write(f"    next, in the TP's order: {step} — {self.catalogue[step].hint_en}")
        heading, changes = since_previous(self)
        if changes:
            write(f"{heading}:")
            for student, change in changes:
                write(f"    {student}: {change}")
        if self.folder:
            written = write_reports(self, self.folder)
            write(f"Report: {', '.join(str(path) for path in written)}")
        if self.nodes_down:
            write(f"Not graded, so the run fails: {', '.join(self.nodes_down)} "
                  f"(not running: `vagrant up {' '.join(self.nodes_down)}`).")
        if incomplete := self.incomplete():
            write("Not everything was graded, so the run fails (the reasons are above; give "
                  "what a skip asks for and grade again):")
            for host, missing in incomplete.items():
                write(f"    {host_name(host)}: {', '.join(missing)}")
