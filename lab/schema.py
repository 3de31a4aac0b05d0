"""How a settings file is checked: a schema of keys, each with an example and the checks its
value must pass, walked once over the file's data so that every problem is reported at once,
each naming its key (or the environment variable it came from) and the fix.

>>> schema = Section({"cpus": Key(1, Check(whole(1), "is not a whole number of CPUs"))})
>>> lab = Walk(Path("lab.yml"), {}, {}, {})
>>> lab.section("", schema, {"cpus": 0, "cpu": 2})
>>> for problem in lab.problems:
...     print(problem)
lab.yml: cpu: unknown key; did you mean 'cpus'?
lab.yml: cpus: 0 is not a whole number of CPUs; use e.g. 1

lab/settings.py writes lab.yml's schema with it. Only the standard library and PyYAML: the
Vagrantfile runs `python -m lab.settings` on every command.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import field, fields
from pathlib import Path
from typing import Any, NamedTuple

try:
    import yaml
except ImportError:  # a Python without the project's requirements, e.g. the system's
    raise SystemExit(
        "lab.settings needs PyYAML, which the project's virtualenv has: run "
        "`.venv/bin/python -m lab.settings`, or make the venv first (README, 'Set up the host')."
    ) from None


class SettingsError(ValueError):
    """lab.yml (or a LAB_* variable) is wrong; the message lists every problem, one a line."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = list(problems)


# ---- How the schema is written --------------------------------------------------------------

class Check(NamedTuple):
    """A test a value must pass, else "KEY: VALUE problem; fix" is reported (fix: "use e.g.
    EXAMPLE" unless given). `problem(value)` and `fix(value, var)` may be functions, `var`
    being the LAB_* variable the value came from (None: lab.yml)."""

    ok: Callable[[Any], Any]
    problem: str | Callable[[Any], str]
    fix: str | Callable[[Any, str | None], str] | None = None


class Key:
    """A key holding one value, as `example` shows; an optional one may be null or left out."""

    def __init__(self, example: Any, *checks: Check, note: str = "", optional: bool = False):
        self.example, self.checks, self.note, self.optional = example, checks, note, optional


class Section:
    """A key holding keys; `make(**values)` builds what the loader returns. Given a dataclass
    instead of keys, its fields' Keys (`key()`) are the keys and it is `make`."""

    def __init__(self, keys: dict[str, Key | Section] | type, make: Callable[..., Any] = dict,
                 optional: bool = False):
        if isinstance(keys, type):
            keys, make = {f.name: f.metadata["key"] for f in fields(keys)}, keys
        self.keys, self.make, self.optional = keys, make, optional


def key(example: Any, *checks: Check, note: str = "", optional: bool = False) -> Any:
    """A dataclass field read from lab.yml (see Key)."""
    return field(metadata={"key": Key(example, *checks, note=note, optional=optional)})


def whole(low: float, high: float = float("inf")) -> Callable[[Any], bool]:
    """A test for a whole number from `low` to `high`; YAML's `yes` is a bool, not a count.

    >>> whole(1, 65535)(2376), whole(1)(True), whole(1)("2")
    (True, False, False)
    """
    return lambda value: type(value) is int and low <= value <= high


def matches(pattern: str) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, str) and re.fullmatch(pattern, value) is not None


def is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def is_ipv4(value: Any) -> bool:
    try:
        return bool(ipaddress.IPv4Address(value if isinstance(value, str) else ""))
    except ValueError:
        return False


def size_bytes(size: str) -> int:
    """
    >>> size_bytes("512M"), size_bytes("4G")
    (536870912, 4294967296)
    """
    return int(size[:-1]) * 1024 ** {"M": 2, "G": 3}[size[-1]]


def size_checks(minimum: str, too_small: str) -> tuple[Check, Check]:
    """The checks of a size like 4G or 512M that must be at least `minimum`."""
    return (Check(matches(r"[1-9][0-9]*[MG]"), "is not a size",
                  "write a whole number and M or G, e.g. 4G or 512M"),
            Check(lambda size: size_bytes(size) >= size_bytes(minimum), too_small))


def did_you_mean(word: str, words: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(words), n=1)
    return f"did you mean {close[0]!r}?" if close else ""


def choice(*choices: str) -> Key:
    listed = ", ".join(choices)

    def fix(value: Any, var: str | None) -> str:
        use = f"set {var} to one of them, or unset it to use lab.yml's" if var else (
            "use one of them")
        return f"{did_you_mean(str(value), choices)} {use}".lstrip()

    return Key(choices[0], Check(lambda value: value in choices, f"is not one of {listed}", fix),
               note=f" (one of {listed})")


def version_key(example: str, *checks: Check) -> Any:
    """A version field, which YAML reads as a number unless it is quoted."""
    return key(f'"{example}"', Check(lambda value: isinstance(value, str), lambda value: (
        f"is a {'number' if type(value) in (int, float) else type(value).__name__}, not a string "
        "(YAML reads an unquoted version as a number)"), f'quote it, e.g. "{example}"'), *checks)


# ---- Reading the file and walking it ---------------------------------------------------------

class _YamlLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """PyYAML's safe loader, except that a key given twice is an error, not a silent overwrite."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: list[Any] = []  # a list: a key may be unhashable, which PyYAML reports itself
        for key_node, _ in node.value:
            if (name := self.construct_object(key_node, deep=True)) in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {name!r} appears twice", key_node.start_mark)
            seen.append(name)
        return super().construct_mapping(node, deep)


def _how(key: str, spec: Key | Section) -> str:
    """How to write `key`, e.g. "`network:` with `name: tp15-lab`, `prefix: 24`"."""
    name = key.rsplit(".", 1)[-1]
    if isinstance(spec, Key):
        return f"`{name}: {spec.example}`{spec.note}"
    required = {key: inner for key, inner in spec.keys.items() if not inner.optional}
    return f"`{name}:` with " + ", ".join(
        f"`{key}: {inner.example}`" if isinstance(inner, Key) else key
        for key, inner in (required or spec.keys).items())


class Walk:
    """One pass of a schema and its rules over a settings file's data, collecting every problem.

    `variables` maps a key to the environment variable that overrides it; `rules` maps a key to
    a check across keys, run once that key is walked (it reads `found`, calls `add`).

    >>> lab = Walk(Path("lab.yml"), {"LAB_PORT": "x"}, {"port": "LAB_PORT"}, {})
    >>> lab.section("", Section({"port": Key(80, Check(whole(1, 65535), "is not a port"))}), {})
    >>> lab.problems
    ["LAB_PORT='x' (environment): port is not a port; use e.g. 80"]
    """

    def __init__(self, path: Path, environ: Mapping[str, str], variables: Mapping[str, str],
                 rules: Mapping[str, Callable[[Walk], None]]):
        self.path, self.environ, self.variables, self.rules = path, environ, variables, rules
        here, file = Path.cwd().resolve(), path.resolve()  # the label: as short as it can be
        self.label = str(file.relative_to(here) if file.is_relative_to(here) else path)
        self.problems: list[str] = []
        self.named: set[str] = set()  # keys a problem names or suggests: not "missing" too
        self.found: dict[str, Any] = {}  # key -> what the loader made of it, if it passed

    def origin(self, key: str) -> str | None:
        """The LAB_* variable `key` is taken from, if it is set (empty counts as unset)."""
        var = self.variables.get(key)
        return var if var and self.environ.get(var) else None

    def add(self, key: str, problem: str, fix: str, value: Any = ...,
            var: str | None = None) -> None:
        """One problem; `value` is left out of the line when not given (e.g. for "missing")."""
        self.named.add(key)
        where = f"{var}={value!r} (environment): {key}" if var else (
            f"{self.label}: {key}:" + ("" if value is ... else f" {value!r}"))
        self.problems.append(f"{where} {problem}; {fix}")

    def read(self) -> dict:
        """lab.yml's mapping, or SettingsError saying why the file gives none."""
        try:
            data = yaml.load(self.path.read_text(encoding="utf-8"), Loader=_YamlLoader)
        except FileNotFoundError:
            why = ("not found; run the command from the repository's root, or restore lab.yml "
                   "with `git checkout lab.yml`")
        except (OSError, UnicodeDecodeError) as error:
            why = f"cannot be read ({error}); check the file and its permissions"
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            detail = getattr(error, "problem", None) or str(error).splitlines()[0]
            why = (f"is not valid YAML{where} ({detail}); fix the syntax there (indent with "
                   "spaces, `key: value`)")
        else:
            if isinstance(data, dict):
                return data
            why = (f"is not a mapping of settings (it holds {type(data).__name__}); write "
                   "`key: value` lines, like the lab.yml in the repository")
        raise SettingsError([f"{self.label}: {why}"])

    def walk(self, key: str, spec: Key | Section, value: Any) -> bool:
        """Check one key and what it holds, then the rule listed under it; False: a problem."""
        if var := self.origin(key):
            value = self.environ[var]
        if value is None and not spec.optional:
            if key not in self.named:
                self.add(key, "missing", "add " + _how(key, spec))
        elif isinstance(spec, Section):
            self.section(key, spec, {} if value is None else value)
        elif value is None:
            self.found[key] = None
        elif failed := next((check for check in spec.checks if not check.ok(value)), None):
            problem, fix = failed.problem, failed.fix or f"use e.g. {spec.example}{spec.note}"
            self.add(key, problem(value) if callable(problem) else problem,
                     fix(value, var) if callable(fix) else fix, value, var)
        else:
            self.found[key] = value
        if key in self.rules:
            self.rules[key](self)
        return key in self.found

    def section(self, key: str, spec: Section, raw: Any) -> None:
        if not isinstance(raw, dict):
            self.add(key, "is not a mapping", f"write it as {_how(key, spec)}, one indented line "
                     "each", raw)
            return
        paths = {name: f"{key}.{name}".lstrip(".") for name in spec.keys}
        for unknown in (str(name) for name in raw if name not in spec.keys):
            self.named.update(paths[name] for name in difflib.get_close_matches(
                unknown, list(spec.keys), n=1))
            self.add(f"{key}.{unknown}".lstrip("."), "unknown key", did_you_mean(
                unknown, spec.keys) or f"remove it; the keys here are {', '.join(spec.keys)}")
        if all([self.walk(paths[name], inner, raw.get(name)) for name, inner in spec.keys.items()]):
            self.found[key] = spec.make(**{name: self.found[path] for name, path in paths.items()})
