"""The project's own pyinfra operations, tested as pyinfra tests its own: each file
of tests/operations/ gives an operation, its arguments and the facts of a host,
and the commands it must yield (none, with the reason it says, when the host is
already right) or the error it must stop with.

    {"operation": "provision.engine.container",
     "arguments": {"container": "tp-sleep", "run": "docker run -d …"},
     "facts": {"ContainerState tp-sleep": "exited"},
     "commands": ["docker start tp-sleep"]}

A fact is named by its class and arguments; "@FILE" is the output recorded in
tests/recorded/FILE, read by the fact's own parser.
"""

import importlib
import json
from pathlib import Path

import pytest
from pyinfra.api.exceptions import OperationError
from pyinfra.facts.files import Directory, File, Sha256File

from lab.settings import Disk
from provision import disks, engine, platform, portainer, registry, rkt, runc, student

from .fake_host import FakeHost, run

HERE = Path(__file__).parent
MODULES = (disks, engine, platform, portainer, registry, rkt, runc, student)
FACT_CLASSES = {cls.__name__: cls for module in MODULES
                for cls in vars(module).values() if isinstance(cls, type) and
                hasattr(cls, "command") and hasattr(cls, "process")} | {
                    "Directory": Directory, "File": File, "Sha256File": Sha256File}
CASES = sorted((HERE / "operations").glob("*.json"))


def _fact(name: str, value):
    cls_name, *args = name.split()
    cls = FACT_CLASSES[cls_name]
    if isinstance(value, str) and value.startswith("@"):
        value = cls().process((HERE / "recorded" / value[1:]).read_text().splitlines())
    return (cls, *args) if args else cls, value


def _arguments(arguments: dict) -> dict:
    return {key: Disk(**value) if key == "disk" else value for key, value in arguments.items()}


@pytest.mark.parametrize("case", CASES, ids=lambda path: path.stem)
def test_operation(case):
    spec = json.loads(case.read_text())
    module, _, name = spec["operation"].rpartition(".")
    operation = getattr(importlib.import_module(module), name)
    fake = FakeHost(dict(_fact(key, value) for key, value in spec["facts"].items()))
    if "error" in spec:
        with pytest.raises(OperationError, match=spec["error"]):
            run(operation, fake, **_arguments(spec["arguments"]))
        return
    assert run(operation, fake, **_arguments(spec["arguments"])) == spec["commands"]
    if not spec["commands"]:
        assert fake.noops == [spec["noop"]], "an operation that does nothing says why"


def test_every_project_operation_has_a_case_that_changes_nothing():
    operations = {f"{module.__name__}.{name}" for module in _project_modules()
                  for name, value in vars(module).items()
                  if callable(value) and hasattr(value, "_inner")
                  and value.__module__ == module.__name__}
    quiet = {json.loads(case.read_text())["operation"] for case in CASES
             if json.loads(case.read_text()).get("commands") == []}
    untested = operations - quiet - _TESTED_ELSEWHERE
    assert not untested, f"add a tests/operations case where these change nothing: {untested}"


# Operations whose facts-in/commands-out tests live in tests/test_centos.py.
_TESTED_ELSEWHERE = {"provision.platform.versionlock", "provision.platform.apt_hold",
                     "provision.platform.firewalld_port", "provision.platform.fcontext_equivalence",
                     "provision.platform.restorecon"}


def _project_modules():
    return [importlib.import_module(f"provision.{path.stem}")
            for path in sorted((HERE.parent / "provision").glob("*.py"))
            if path.stem not in {"__init__", "deploy", "inventory", "pair"}]
