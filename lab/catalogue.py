"""The requirement catalogue (lab/requirements.yml) and the acceptance tests that name it.

Each requirement of shared/tp/requirements.md has an entry in
lab/requirements.yml; each acceptance test carries `@pytest.mark.req("ID")`.
This module reads both, so tests/test_catalogue.py can hold them to each other
and the acceptance report can say which requirement a failure is about.

>>> catalogue = load_catalogue()
>>> catalogue["RUNC-1"].section
'runc'

The tests and their IDs come from pytest's own collection of acceptance/ (in a
child process, about two seconds), so every way of marking a test counts:
decorators, classes, `pytestmark`, parametrize marks.

>>> acceptance_tests()["acceptance/test_runc.py::test_runc_is_installed_and_on_path"]
['RUNC-1']

    $ .venv/bin/python -m lab.catalogue            # each requirement with its tests (JSON)
    $ .venv/bin/python -m lab.catalogue --tests    # each test with its requirements
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from lab.sections import SECTIONS as TP_SECTIONS

REPO = Path(__file__).resolve().parent.parent
CATALOGUE_PATH = Path(__file__).resolve().parent / "requirements.yml"
ACCEPTANCE = REPO / "acceptance"

# TP section -> the prefix of its requirement IDs, in the TP's order (lab/sections.py)
SECTIONS = {section.name: section.prefix for section in TP_SECTIONS}
REQUIRED = ("id", "section", "title", "outside", "hint_en", "hint_fr")
OPTIONAL = ("pending", "capability", "second")
ID = re.compile(r"^([A-Z]+)-([1-9][0-9]*)$")


class CatalogueError(ValueError):
    """requirements.yml is wrong; the message lists every problem, one a line."""


@dataclass(frozen=True)
class Requirement:
    id: str
    section: str
    title: str
    outside: bool  # checked from the host machine, not from inside the VM
    hint_en: str
    hint_fr: str
    pending: bool = False  # no acceptance test yet
    capability: bool = False  # any working engine passes it: proves the engine, not the
    # student's work
    second: bool = False  # asked of the second Docker host (node2) too, not only of node1


def load_catalogue(path: Path | str = CATALOGUE_PATH) -> dict[str, Requirement]:
    """The requirements by ID, in the file's order; raise CatalogueError on a bad entry."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise CatalogueError(f"{path}: cannot be read as YAML ({error})") from error
    entries = data.get("requirements") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise CatalogueError(f"{path}: expected a top-level `requirements:` list")

    problems: list[str] = []
    catalogue: dict[str, Requirement] = {}
    for index, entry in enumerate(entries, 1):
        where = f"{path.name}: entry {index}"
        if not isinstance(entry, dict):
            problems.append(f"{where}: is not a mapping with {', '.join(REQUIRED)}")
            continue
        if isinstance(entry.get("id"), str):
            where = f"{path.name}: {entry['id']}"
        entry_problems = _check(entry)
        problems.extend(f"{where}: {problem}" for problem in entry_problems)
        if entry_problems:
            continue
        if entry["id"] in catalogue:
            problems.append(f"{where}: the ID appears more than once")
            continue
        catalogue[entry["id"]] = Requirement(**{k: entry[k] for k in REQUIRED},
                                             pending=entry.get("pending", False),
                                             capability=entry.get("capability", False),
                                             second=entry.get("second", False))
    if problems:
        raise CatalogueError("\n".join(problems))
    return catalogue


def _check(entry: dict) -> list[str]:
    problems = [f"missing {key}" for key in REQUIRED if key not in entry]
    problems += [f"unknown field {key!r}" for key in entry if key not in REQUIRED + OPTIONAL]
    for key in ("id", "section", "title", "hint_en", "hint_fr"):
        if key in entry and not (isinstance(entry[key], str) and entry[key].strip()):
            problems.append(f"{key} must be a non-empty string")
    for key in ("outside", "pending", "capability", "second"):
        if key in entry and not isinstance(entry[key], bool):
            problems.append(f"{key} must be true or false")
    if isinstance(entry.get("title"), str) and "\n" in entry["title"].strip():
        problems.append("title must fit on one line")
    if isinstance(entry.get("id"), str) and isinstance(entry.get("section"), str):
        match = ID.match(entry["id"])
        if entry["section"] not in SECTIONS:
            problems.append(f"section {entry['section']!r} is not one of "
                            f"{', '.join(SECTIONS)}")
        elif not match or match.group(1) != SECTIONS[entry["section"]]:
            problems.append(f"an ID of section {entry['section']} looks like "
                            f"{SECTIONS[entry['section']]}-1")
    return problems


def by_requirement(tests: dict[str, list[str]]) -> dict[str, list[str]]:
    """Requirement ID -> the tests that carry it, from test -> IDs (``acceptance_tests()``).

    >>> by_requirement({"t.py::test_a": ["RUNC-1", "RUNC-2"], "t.py::test_b": ["RUNC-1"],
    ...                 "t.py::test_c": []})
    {'RUNC-1': ['t.py::test_a', 't.py::test_b'], 'RUNC-2': ['t.py::test_a']}
    """
    by_id: dict[str, list[str]] = {}
    for test, ids in tests.items():
        for requirement in ids:
            by_id.setdefault(requirement, []).append(test)
    return by_id


class AcceptanceCollectionError(RuntimeError):
    """pytest could not collect the acceptance suite; the message ends with its output."""


def acceptance_tests(folder: Path | str = ACCEPTANCE) -> dict[str, list[str]]:
    """Every test of the suite in ``folder`` -> the requirement IDs of its req markers
    (closest first; [] for none), as pytest collects them, one entry per test function
    whatever its parameters: "acceptance/test_x.py::test_y", "acceptance/test_x.py::TestX::test_y".

    pytest runs in a child process (a test session of its own, with testinfra's local
    host), so that collecting contacts neither Vagrant nor any machine; once per folder
    in a process.
    """
    return json.loads(_collected(Path(folder).resolve()))


@functools.cache
def _collected(folder: Path) -> str:
    environ = {key: value for key, value in os.environ.items() if key != "PYTEST_ADDOPTS"}
    run = subprocess.run([sys.executable, "-m", "lab.catalogue", "--tests", str(folder)],
                         cwd=REPO, env=environ, capture_output=True, text=True, check=False)
    if run.returncode != 0:
        output = (run.stdout + run.stderr).strip().splitlines()
        raise AcceptanceCollectionError(
            f"pytest could not collect {folder} (exit {run.returncode}); its last lines:\n"
            + "\n".join(output[-30:]))
    return run.stdout


class _Markers:
    """pytest plugin: each collected test's requirement IDs, from its req markers."""

    def __init__(self) -> None:
        self.tests: dict[str, list[str]] = {}

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:
            name = f"{item.parent.nodeid}::{getattr(item, 'originalname', item.name)}"
            ids = [rid for marker in item.iter_markers("req") for rid in marker.args]
            self.tests[name] = list(dict.fromkeys(self.tests.get(name, []) + ids))


def _collect(folder: Path) -> dict[str, list[str]]:
    """``acceptance_tests``' collection, in this process; stdout is pytest's own."""
    markers = _Markers()
    code = pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider",
                        # Neither the unit tier's options (doctests) nor a lab:
                        # testinfra's local host, on which nothing runs at collection.
                        "-o", "addopts=", "--hosts=local://",
                        f"--rootdir={folder.parent}", str(folder)], plugins=[markers])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        raise SystemExit(int(code))
    return markers.tests


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=".venv/bin/python -m lab.catalogue",
        description="Collect the acceptance suite and print, as JSON, each requirement of "
                    "lab/requirements.yml with the tests that carry its ID.")
    parser.add_argument("--tests", metavar="FOLDER", nargs="?", const=str(ACCEPTANCE),
                        help="print each test with its requirement IDs instead (default "
                             "folder: acceptance/)")
    args = parser.parse_args(argv)
    folder = Path(args.tests or ACCEPTANCE).resolve()
    # pytest prints what it collected: keep stdout for the JSON.
    with contextlib.redirect_stdout(sys.stderr):
        tests = _collect(folder)
    if args.tests:
        print(json.dumps(tests, indent=2))
    else:
        by_id = by_requirement(tests)
        print(json.dumps({rid: by_id.get(rid, []) for rid in load_catalogue()}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
