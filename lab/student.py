"""The student lab's starting point, kept as a snapshot of each node (python-vagrant's
snapshot support; libvirt and VirtualBox both take them):

    .venv/bin/python -m lab.student save     # once, right after `vagrant up` in profile student
    .venv/bin/python -m lab.student reset    # both nodes back to it, in seconds
    vagrant snapshot restore node2 student-start   # one node

``save`` refuses a lab whose lab.yml is not ``profile: student`` (the snapshot would not
be a student's starting point), and keeps an existing snapshot; ``reset`` says how to
make one when there is none, and sets each node's clock to this machine's (a node
resumes at the time of its snapshot, and apt refuses a mirror "not valid yet"). After
``vagrant snapshot restore`` of one node, set its clock the same way:
``vagrant ssh node2 -c "sudo date -u -s @$(date +%s)"``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import vagrant

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=".venv/bin/python -m lab.student",
                                     description="The student lab's starting point.")
    parser.add_argument("action", choices=("save", "reset"),
                        help="save: snapshot both nodes as student-start; reset: back to it")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
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
