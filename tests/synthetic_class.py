"""A graded class made up for the report's tests: outcomes as the acceptance suite
records them, without a host.

    report = synthetic_class(30)     # 30 students, 60 hosts: NAME-1 (main), NAME-2 (second)
    report.by_host["paramiko://ada-1"]["RUNC-1"]   # {'PASS'}

Student k (from 0) is k requirements further in the TP than the first: their main host
passes the first 4 + k requirements but two (a slip on the way), fails the others (not
done yet) and skips GUI-1 (no Portainer image); their second host passes what it is
asked but DCFG-6 (failed every third student; never checked every fifth: NOT RUN). The
sixth student's hosts cannot be reached.
"""

import pytest

from acceptance.report import RequirementReport
from lab.catalogue import load_catalogue

NAMES = ("ada", "alan", "barbara", "brian", "claude", "dennis", "donald", "edsger", "frances",
         "grace", "guido", "hedy", "ivan", "jean", "john", "ken", "leslie", "linus", "margaret",
         "niklaus", "radia", "richard", "robin", "shafi", "sophie", "tim", "tony", "vint",
         "whitfield", "yukihiro")


def outcome(requirement: str, host: str, status: str, message: str = "") -> pytest.TestReport:
    """One check's outcome as pytest reports it: ``status`` passed, failed or skipped."""
    longrepr = {"passed": None, "failed": f"AssertionError: {message}",
                "skipped": ("acceptance/t.py", 1, f"Skipped: {message}")}[status]
    return pytest.TestReport(
        nodeid=f"acceptance/t.py::test_x[{host}]", location=("acceptance/t.py", 1, "test_x"),
        keywords={}, outcome=status, longrepr=longrepr, when="call",
        user_properties=[("requirement", requirement), ("host", f"paramiko://{host}")])


def synthetic_class(students: int, **options) -> RequirementReport:
    """The report of ``students`` students' grading (``options``: RequirementReport's)."""
    catalogue = load_catalogue()
    names = NAMES[:students]
    roles = {f"{name}-{n}": role for name in names for n, role in ((1, "main"), (2, "second"))}
    report = RequirementReport(catalogue, roles=roles, complete=True,
                               students={host: host.rsplit("-", 1)[0] for host in roles},
                               **options)
    ids = list(catalogue)
    for k, name in enumerate(names):
        main, second = f"{name}-1", f"{name}-2"
        if k == 5:
            for host in (main, second):
                for requirement in ids if host == main else ("RUNC-2", "DCFG-1", "DCFG-6"):
                    report.pytest_runtest_logreport(outcome(
                        requirement, host, "failed", f"{host} cannot be graded: timed out: is "
                        "the VM up, and its address right?"))
            continue
        slips = {ids[(11 + 3 * k) % len(ids)], ids[(23 + 5 * k) % len(ids)]}
        for index, requirement in enumerate(ids):
            if requirement == "GUI-1":
                report.pytest_runtest_logreport(outcome(
                    requirement, main, "skipped", "Portainer's image is not in the artifacts"))
            elif index >= 4 + k or requirement in slips:
                report.pytest_runtest_logreport(outcome(
                    requirement, main, "failed", f"{requirement} is not met on {main}: "
                    f"what the check saw, and what to type"))
            else:
                report.pytest_runtest_logreport(outcome(requirement, main, "passed"))
        for requirement in ("RUNC-2", "DCFG-1", "DCFG-6"):
            if requirement == "DCFG-6" and k % 5 == 4:
                continue
            status = "failed" if requirement == "DCFG-6" and k % 3 == 0 else "passed"
            report.pytest_runtest_logreport(outcome(
                requirement, second, status, f"{second}'s TCP daemon refused the client"))
    return report
