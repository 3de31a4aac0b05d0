"""The grader stands alone: acceptance/ (with the lab/ modules it reads) imports nothing
from provision/ or app/, and every other package it imports is pinned in
acceptance/requirements.txt — an instructor's grading machine needs nothing else."""

import ast
import sys
from pathlib import Path

from lab.settings import REPO

# The distribution that brings each top-level module the grader imports.
DISTRIBUTIONS = {"cryptography": "cryptography", "docker": "docker", "paramiko": "paramiko",
                 "pytest": "pytest", "requests": "requests", "urllib3": "urllib3",
                 "_pytest": "pytest", "vagrant": "python-vagrant", "yaml": "PyYAML",
                 "testinfra": "pytest-testinfra",
                 "xdist": "pytest-xdist"}


def imported(folder: Path) -> dict[str, set[str]]:
    """Top-level module -> the files of ``folder`` that import it."""
    found: dict[str, set[str]] = {}
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and \
                not node.level else []
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(path.name)
    return found


def test_acceptance_and_lab_import_nothing_of_provision_or_app():
    for folder in ("acceptance", "lab"):
        modules = imported(REPO / folder)
        assert not {"provision", "app"} & set(modules), (
            folder, {name: modules[name] for name in {"provision", "app"} & set(modules)})


def test_every_package_the_grader_imports_is_pinned_for_it():
    pinned = {line.split("==")[0] for line in
              (REPO / "acceptance" / "requirements.txt").read_text().splitlines()
              if "==" in line and not line.startswith("#")}
    modules = set(imported(REPO / "acceptance")) | set(imported(REPO / "lab"))
    third_party = modules - set(sys.stdlib_module_names) - {"acceptance", "lab"}
    unknown = third_party - set(DISTRIBUTIONS)
    assert not unknown, f"add these to DISTRIBUTIONS and acceptance/requirements.txt: {unknown}"
    missing = {DISTRIBUTIONS[module] for module in third_party} - pinned
    assert not missing, f"pin these in acceptance/requirements.txt: {missing}"


def test_what_the_grader_knows_of_the_app_is_the_app_s():
    from app.app import KEY_PREFIX
    from lab.settings import APP_KEY_PREFIX

    assert APP_KEY_PREFIX == KEY_PREFIX
