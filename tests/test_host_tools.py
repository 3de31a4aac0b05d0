"""Every command the project's host scripts call is installed by `.ci/host-setup`.

A fresh Debian 12 host once stopped at the box phase because `sfdisk` was on the
developer's machine only. `.ci/host-packages` lists the host's packages and the
commands the scripts call from each; these tests read every shell script of the
project and fail on a command that is neither listed there, nor a shell builtin or
a function of the script, nor part of every Debian system.
"""

import os
import re
import shlex
from itertools import pairwise
from pathlib import Path

import pytest

from lab.settings import REPO

HOST_PACKAGES = REPO / ".ci" / "host-packages"
# Not the project's sources: tools' caches, builds (with mounted chroots), the lab's state.
SKIPPED = {".git", ".venv", ".tox", ".build", ".vagrant", ".ruff_cache", ".pytest_cache",
           "__pycache__", "wheels", "reports"}

# In every Debian 12 system (Essential: yes, or what they pull in) — and so on a fresh host.
ALWAYS_THERE = set("""
    apt-get awk basename bash cat chmod chown cmp cp cut date dd dirname dpkg dpkg-query du
    chroot echo env false find getent grep gzip head id install ln ls mkdir mktemp mv printf
    readlink realpath rm rmdir sed seq sh sha256sum sleep sort stat sync tail tar tee
    timeout touch tr true truncate uname uniq wc xargs zcat
""".split())
# host-setup makes the project's virtualenv (.venv) from requirements.txt.
VENV_COMMANDS = {"pytest", "pyinfra", "ruff", "tox"}
# host-setup calls systemctl only where systemd is PID 1, which brings it.
CONDITIONAL = {"systemctl"}
BASH_WORDS = set("""
    . : [ [[ ]] { } ! alias break case cd command continue declare do done elif else esac
    compgen eval exec exit export fi for function getopts hash if in kill local mapfile popd pushd
    pwd read readonly return set shift shopt source test then trap type typeset ulimit umask
    unset until wait while
""".split())

# Command position: the start of a line, or after one of these.
SEPARATORS = {"|", "||", "&&", ";", "(", "$(", "`", "{", "then", "do", "else", "elif",
              "if", "while", "until", "!", "time", "exec", "command", "timeout", "xargs"}


def host_packages() -> dict[str, list[str]]:
    """``.ci/host-packages``: package -> the commands the scripts call from it."""
    table = {}
    for line in HOST_PACKAGES.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            package, *commands = line.split()
            table[package] = [c for c in commands if c != "-"]
    return table


def shell_scripts() -> list[Path]:
    """The project's shell scripts: every file with a bash or sh shebang."""
    found = []
    for folder, subfolders, files in os.walk(REPO):
        subfolders[:] = [d for d in subfolders if d not in SKIPPED]
        for name in files:
            path = Path(folder, name)
            with path.open("rb") as stream:
                first = stream.readline()
            if re.match(rb"#!\s*\S*(/env\s+)?\S*\b(ba)?sh\b", first):
                found.append(path)
    return sorted(found)


def _code_lines(text: str) -> list[str]:
    """The script's lines without here-document bodies (another program's input) and
    without the continuation lines of multi-line arrays (words, not commands)."""
    lines, end, in_array = [], None, False
    for line in text.replace("\\\n", " ").splitlines():
        if end is not None:
            if line.strip() == end:
                end = None
            continue
        if in_array:
            in_array = ")" not in line
            continue
        heredoc = re.search(r"<<-?\s*['\"]?(\w+)['\"]?", line)
        if heredoc and "<<<" not in line:
            end = heredoc.group(1)
        in_array = bool(re.search(r"\w=\([^)]*$", line))
        # A case pattern (`offline)`, `--name|-n)`) before the branch's command.
        lines.append(re.sub(r"^\s*[^\s()$=]+\)(\s|$)", " ", line))
    return lines


def commands_called(text: str) -> set[str]:
    """The words in command position in a shell script (an approximation that errs
    on the side of reporting too much; the known non-commands are filtered out)."""
    functions = set(re.findall(r"^\s*(?:function\s+)?([\w.-]+)\s*\(\)", text, re.M))
    found = set()
    for line in _code_lines(text):
        lexer = shlex.shlex(line, posix=True, punctuation_chars="|&;()`")
        lexer.commenters = "#"
        lexer.wordchars += "$-./:=[]!*,+@%^~{}"
        try:
            tokens = list(lexer)
        except ValueError:  # an unterminated quote: a string spanning lines
            continue
        at_start, arithmetic, after_timeout, array = True, False, False, False
        for previous, token in pairwise(["", *tokens]):

            if arithmetic:  # (( … )) and $(( … )): variables, not commands
                arithmetic = "))" not in token
                continue
            if token.startswith("(("):
                arithmetic = "))" not in token
                continue
            if after_timeout and re.fullmatch(r"\d+[smh]?", token):
                after_timeout = False
                continue
            after_timeout = False
            if token == "()":  # a function's definition or an empty array
                continue
            if token == "(" and previous.endswith("="):  # an array's words
                array = True
                continue
            if array:
                array = token != ")"
                continue
            if token in SEPARATORS or set(token) <= set("|&;()`"):
                at_start, after_timeout = True, token == "timeout"
                continue
            if at_start:
                at_start = False
                if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?\+?=.*", token):
                    at_start = True  # an assignment before the command
                    continue
                if token in BASH_WORDS or token in functions \
                        or not re.fullmatch(r"[A-Za-z][\w.+-]*", token):
                    continue
                found.add(token)
    return found


def test_host_packages_file_is_well_formed():
    table = host_packages()
    assert table, f"{HOST_PACKAGES} lists no package"
    for package in table:
        assert re.fullmatch(r"[a-z0-9][a-z0-9.+-]+", package), \
            f"{HOST_PACKAGES}: {package!r} is not a Debian package name"


@pytest.mark.parametrize("script", shell_scripts(), ids=lambda p: str(p.relative_to(REPO)))
def test_every_command_a_script_calls_is_installed_by_host_setup(script):
    listed = {command for commands in host_packages().values() for command in commands}
    text = script.read_text()
    # `command -v NAME` with a literal name: the script copes without NAME.
    optional = set(re.findall(r"command -v ([\w.+-]+)", text))
    unknown = (commands_called(text) - listed - ALWAYS_THERE - BASH_WORDS - VENV_COMMANDS
               - CONDITIONAL - optional)
    assert not unknown, (
        f"{script.relative_to(REPO)} calls {sorted(unknown)}, which a fresh Debian 12 host "
        f"may not have: add the package of each to {HOST_PACKAGES.relative_to(REPO)} "
        "(`dpkg -S $(command -v NAME)` names it), so that `.ci/host-setup` installs it."
    )


def test_the_scanner_sees_commands_in_every_position():
    script = """\
#!/bin/bash
set -e
say() { echo "$*"; }
X=1 sfdisk --dump disk.raw | awk '{print $1}'
if ! virsh list >/dev/null; then say no; fi
out=$(qemu-img info x) && timeout 5 mkfs.ext4 -q y
cat > f <<EOF
notacommand here
EOF
"""
    assert commands_called(script) >= {"sfdisk", "awk", "virsh", "qemu-img", "mkfs.ext4"}
    assert "notacommand" not in commands_called(script)
    assert "say" not in commands_called(script)


def test_the_scripts_are_found():
    names = {str(p.relative_to(REPO)) for p in shell_scripts()}
    assert {".ci/run", ".ci/host-setup", "boxes/build-debian-12"} <= names
