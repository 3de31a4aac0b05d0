"""The student lab's starting point, kept as a snapshot of each node (python-vagrant's
snapshot support; libvirt and VirtualBox both take them):

    .venv/bin/python -m lab.student save     # once, right after `vagrant up` in profile student
    .venv/bin/python -m lab.student reset    # both nodes back to it, in seconds
    vagrant snapshot restore node2 student-start   # one node

and a student stuck at a section catches up to it:

    .venv/bin/python -m lab.student solve daemon --dry   # what it would change
    .venv/bin/python -m lab.student solve daemon         # the reference provision of the
                                                         # TP's sections up to daemon

``solve SECTION`` applies the reference provision of the TP's sections up to SECTION, in
the TP's order (lab/sections.py), over whatever the student did, and prints what it
changed. Later sections are left alone, and so are the keys of daemon.json that no solved
section owns (the offline lab's registry mirror, a later section's settings).

``save`` refuses a lab whose lab.yml is not ``profile: student`` (the snapshot would not
be a student's starting point), and keeps an existing snapshot; ``reset`` says how to
make one when there is none, and sets each node's clock to this machine's (a node
resumes at the time of its snapshot, and apt refuses a mirror "not valid yet"). After
``vagrant snapshot restore`` of one node, set its clock the same way:
``vagrant ssh node2 -c "sudo date -u -s @$(date +%s)"``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import vagrant

from lab.sections import SECTION, up_to
from lab.settings import REPO, SettingsError, load, ssh_config_file

SNAPSHOT = "student-start"


class StudentLabError(RuntimeError):
    """What stops a save or a reset, said so that the user knows what to do."""


def _lab() -> vagrant.Vagrant:
    return vagrant.Vagrant(root=str(REPO), quiet_stdout=False, quiet_stderr=False)


def _snapshots(lab: vagrant.Vagrant) -> list[str]:
    """The snapshot names ``vagrant snapshot list`` gives (every node's, together)."""
    return [line.strip() for line in lab.snapshot_list()
            if line.strip() and not line.startswith("==>")]


def _running(lab: vagrant.Vagrant) -> list[str]:
    statuses = lab.status()
    down = [status.name for status in statuses if status.state != "running"]
    if down:
        raise StudentLabError(f"{', '.join(down)} not running: `vagrant up` first (with "
                              "profile: student in lab.yml)")
    return [status.name for status in statuses]


def save(lab: vagrant.Vagrant, profile: str) -> str:
    """Snapshot every node as ``student-start`` unless it exists; what was done."""
    if profile != "student":
        raise StudentLabError(f"lab.yml's profile is {profile}, not student: a snapshot of "
                              "this lab would not be a student's starting point (set "
                              "profile: student, or LAB_PROFILE=student, and `vagrant up`)")
    nodes = _running(lab)
    if SNAPSHOT in _snapshots(lab):
        return f"{SNAPSHOT} exists already: `python -m lab.student reset` goes back to it"
    lab.snapshot_save(SNAPSHOT)
    return f"saved {SNAPSHOT} of {', '.join(nodes)}"


def set_clock(node: str) -> None:
    """The node's clock set to this machine's, over the SSH details `vagrant up` wrote."""
    subprocess.run(["ssh", "-F", str(ssh_config_file(node)), node,
                    f"sudo date -u -s @{int(time.time())} >/dev/null"], check=True, timeout=60)


def reset(lab: vagrant.Vagrant, set_clock=set_clock) -> str:
    """Every node back to ``student-start``; what was done."""
    nodes = _running(lab)
    if SNAPSHOT not in _snapshots(lab):
        raise StudentLabError(f"no snapshot {SNAPSHOT}: take it with `.venv/bin/python -m "
                              "lab.student save` right after `vagrant up` in profile student")
    lab.snapshot_restore(SNAPSHOT)
    for node in nodes:  # a node resumes at the snapshot's time; apt and TLS need today's
        set_clock(node)
    return f"{', '.join(nodes)} back to {SNAPSHOT}, their clocks set to this machine's"


def solve_command(pyinfra: str, section: str, dry: bool) -> list[str]:
    """pyinfra's run of the reference provision up to ``section``, on every node; its
    results as JSON on stdout, its progress on stderr.

    >>> solve_command("pyinfra", "daemon", dry=False)[-2:]
    ['--data', 'solve=daemon']
    """
    return [pyinfra, "--yes", "--json", *(["--dry"] if dry else []), "--chdir", str(REPO),
            "provision/inventory.py", "provision/deploy.py", "--data", f"solve={section}"]


def changed(results: dict) -> list[str]:
    """What a pyinfra run changed, from its ``--json`` results: "node1: Write …" per
    operation and host.

    >>> changed({"results": {"operations": [
    ...     {"name": "Install runc (RUNC-1)", "success": ["node1", "node2"], "error": []},
    ...     {"name": "Create /etc/docker/tls", "success": [], "error": []}]}})
    ['node1: Install runc (RUNC-1)', 'node2: Install runc (RUNC-1)']
    """
    operations = (results.get("results") or {}).get("operations") or []
    return [f"{node}: {operation['name']}" for operation in operations
            for node in operation["success"]]


def planned(results: dict) -> list[str]:
    """The operations of a ``pyinfra --dry --json`` run, in order (pyinfra decides what each
    changes when it runs, so the plan names them all).

    >>> planned({"plan": [{"name": "Install runc (RUNC-1)"}, {"name": "node1 in /etc/hosts"}]})
    ['Install runc (RUNC-1)', 'node1 in /etc/hosts']
    """
    return [operation["name"] for operation in results.get("plan") or []]


def solve(section: str, profile: str, dry: bool = False) -> str:
    """The reference provision of the TP's sections up to ``section`` over the student's
    lab (``--dry``: what it would change, nothing changed); what it did."""
    if profile != "student":
        raise StudentLabError(f"lab.yml says profile: {profile}, whose provision applies "
                              "every section already; solve is for a student lab")
    try:
        names = [solved.name for solved in up_to(section)]
    except KeyError as error:
        raise StudentLabError(error.args[0]) from None
    venv = REPO / ".venv" / "bin" / "pyinfra"
    print(f"lab.student solve: {', '.join(names)} (the reference provision, on every node)",
          flush=True)
    run = subprocess.run(solve_command(str(venv) if venv.exists() else "pyinfra", section, dry),
                         cwd=REPO, stdout=subprocess.PIPE, text=True, check=False)
    if run.returncode:
        raise subprocess.CalledProcessError(run.returncode, ["pyinfra", "…", f"solve={section}"])
    if dry:
        steps = planned(json.loads(run.stdout))
        for step in steps:
            print(f"  would run {step}")
        return (f"{len(steps)} steps for {', '.join(names)}, each changing only what is not "
                "so already; nothing was changed")
    done = changed(json.loads(run.stdout))
    for line in done:
        print(f"  changed {line}")
    return (f"{len(done)} changes; re-grade with `.venv/bin/pytest acceptance/` "
            f"({', '.join(SECTION[name].prefix for name in names)} should pass)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=".venv/bin/python -m lab.student",
                                     description="The student lab's starting point.")
    parser.add_argument("action", choices=("save", "reset", "solve"),
                        help="save: snapshot both nodes as student-start; reset: back to it; "
                        "solve SECTION: the reference provision up to that section")
    parser.add_argument("section", nargs="?", choices=list(SECTION),
                        help="with solve: the TP section to catch up to")
    parser.add_argument("--dry", action="store_true", help="with solve: only show the plan")
    args = parser.parse_args(argv)
    if (args.action == "solve") != (args.section is not None):
        parser.error("solve takes a SECTION, save and reset none")
    started = time.monotonic()
    try:
        if args.action == "solve":
            done = solve(args.section, load().profile, args.dry)
        else:
            lab = _lab()
            done = save(lab, load().profile) if args.action == "save" else reset(lab)
    except (StudentLabError, SettingsError) as error:
        print(f"lab.student {args.action}: {error}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as error:
        print(f"lab.student {args.action}: `{' '.join(error.cmd)}` failed (exit "
              f"{error.returncode}; its output is above)", file=sys.stderr)
        return 1
    print(f"lab.student {args.action}: {done} ({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
