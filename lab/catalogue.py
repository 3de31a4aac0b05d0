"""The requirement catalogue (lab/requirements.yml) and the acceptance tests that name it.

Each requirement of shared/tp/requirements.md has an entry in
lab/requirements.yml; each acceptance test carries `@pytest.mark.req("ID")`.
This module reads both, so tests/test_catalogue.py can hold them to each other
and the acceptance report can say which requirement a failure is about.

>>> catalogue = load_catalogue()
>>> catalogue["RUNC-1"].section
'runc'
>>> acceptance_requirement_ids(REPO / "acceptance")["RUNC-1"]   # doctest: +SKIP
['acceptance/test_runc.py::test_runc_is_installed_and_on_path']
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
CATALOGUE_PATH = Path(__file__).resolve().parent / "requirements.yml"

# TP section -> the prefix of its requirement IDs
SECTIONS = {
    "runc": "RUNC",
    "rkt": "RKT",
    "daemon": "DCFG",
    "operations": "OPS",
    "api": "API",
    "security": "SEC",
    "compose": "CMP",
    "gui": "GUI",
}
REQUIRED = ("id", "section", "title", "outside", "hint_en", "hint_fr")
OPTIONAL = ("pending",)
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
                                             pending=entry.get("pending", False))
    if problems:
        raise CatalogueError("\n".join(problems))
    return catalogue


def _check(entry: dict) -> list[str]:
    problems = [f"missing {key}" for key in REQUIRED if key not in entry]
    problems += [f"unknown field {key!r}" for key in entry if key not in REQUIRED + OPTIONAL]
    for key in ("id", "section", "title", "hint_en", "hint_fr"):
        if key in entry and not (isinstance(entry[key], str) and entry[key].strip()):
            problems.append(f"{key} must be a non-empty string")
    for key in ("outside", "pending"):
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


def acceptance_tests(folder: Path | str) -> dict[str, list[str]]:
    """Every test in folder/test_*.py -> the requirement IDs its req markers name.

    Read with `ast`, without importing the tests (they need a live host). A
    test without a marker maps to []. Node names are as pytest prints them
    from the repository's root: "acceptance/test_x.py::test_y",
    "acceptance/test_x.py::TestX::test_y".
    """
    folder = Path(folder)
    tests: dict[str, list[str]] = {}
    for path in sorted(folder.glob("test_*.py")):
        prefix = f"{folder.name}/{path.name}"
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        module_ids: list[str] = []
        for node in tree.body:
            module_ids += _pytestmark_ids(node, path)
        for node in tree.body:
            if _is_test_function(node):
                tests[f"{prefix}::{node.name}"] = _unique(
                    module_ids + _decorator_ids(node, path))
            elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
                class_ids = module_ids + _decorator_ids(node, path)
                for item in node.body:
                    class_ids += _pytestmark_ids(item, path)
                for item in node.body:
                    if _is_test_function(item):
                        tests[f"{prefix}::{node.name}::{item.name}"] = _unique(
                            class_ids + _decorator_ids(item, path))
    return tests


def acceptance_requirement_ids(folder: Path | str) -> dict[str, list[str]]:
    """Requirement ID -> the acceptance tests (node names) that carry it, as found in folder."""
    by_id: dict[str, list[str]] = {}
    for test, ids in acceptance_tests(folder).items():
        for requirement in ids:
            by_id.setdefault(requirement, []).append(test)
    return by_id


def _is_test_function(node: ast.AST) -> bool:
    return (isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.name.startswith("test"))


def _unique(ids: list[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def _pytestmark_ids(node: ast.AST, path: Path) -> list[str]:
    """IDs of `pytestmark = pytest.mark.req(...)` or `pytestmark = [mark, ...]`."""
    if isinstance(node, ast.Assign):
        targets, value = node.targets, node.value
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        targets, value = [node.target], node.value
    else:
        return []
    if not any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in targets):
        return []
    marks = value.elts if isinstance(value, ast.List | ast.Tuple) else [value]
    ids: list[str] = []
    for mark in marks:
        ids += _req_ids(mark, path)
    return ids


def _decorator_ids(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef,
                   path: Path) -> list[str]:
    ids: list[str] = []
    for decorator in node.decorator_list:
        ids += _req_ids(decorator, path)
    return ids


def _req_ids(mark: ast.expr, path: Path) -> list[str]:
    """The IDs of a `pytest.mark.req("ID", ...)` (or `mark.req(...)`) call; [] for other marks."""
    if not isinstance(mark, ast.Call):
        return []
    func = mark.func
    if not (isinstance(func, ast.Attribute) and func.attr == "req"):
        return []
    owner = func.value
    if not ((isinstance(owner, ast.Attribute) and owner.attr == "mark")
            or (isinstance(owner, ast.Name) and owner.id == "mark")):
        return []
    ids = []
    for arg in mark.args:
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
            raise ValueError(f"{path}:{mark.lineno}: pytest.mark.req takes requirement IDs as "
                             f"literal strings, e.g. pytest.mark.req(\"RUNC-1\"); "
                             f"got {ast.unparse(arg)}")
        ids.append(arg.value)
    return ids
