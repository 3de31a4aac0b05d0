"""How ``vagrant up`` and ``vagrant provision`` provision one node (the Vagrantfile's
trigger): wait while the node's package manager is busy, then pyinfra's deploy, then
say how it ended. Whenever the provision did not complete — interrupted (Ctrl-C, a
dropped session), failed, or the node unreachable — it exits non-zero and its last
line names the node, the step it stopped at (with its requirement ID) and the command
that resumes it: each step is idempotent, so running it again picks up where it stopped.
When a node other than node1 completes the pair, what needs both nodes runs next, on node1
(provision/pair.py), whichever came up first.

    .venv/bin/python provision/run.py node1
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

# The project's root, not this script's folder (provision/), whose platform.py would
# shadow the standard library's for every module imported from here on.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from lab.artifacts import pairs_nodes  # noqa: E402
from lab.settings import MAIN_NODE, REPO, load, ssh_config_file  # noqa: E402

# pyinfra's line as each operation starts, e.g. "--> Starting operation: Install … (RUNC-2)"
STEP = re.compile(r"--> Starting operation: (.+?)\s*$")
INTERRUPTED = "Exiting upon user request!"  # what pyinfra says on SIGINT, exiting 0
# The package managers whose locks a provision would wait on; an interrupted provision
# leaves its apt-get or dnf running in the node, holding them.
PACKAGE_MANAGERS = "apt|apt-get|aptitude|dpkg|dnf|yum|rpm|unattended-upgr"
BUSY_MINUTES = 15  # the longest a node's package manager is waited for
BUSY_POLL_SECONDS = 10


def step_of(line: str) -> str | None:
    """The operation a line of pyinfra's output starts, if it starts one.

    >>> step_of("    node1: --> Starting operation: Install Docker Engine (RUNC-2) ")
    'Install Docker Engine (RUNC-2)'
    >>> step_of("    node1: [node1] Success") is None
    True
    """
    found = STEP.search(line)
    return found.group(1) if found else None


def verdict(node: str, rc: int, interrupted: bool, step: str | None) -> tuple[int, str | None]:
    """The exit status of a node's provision and its last line (None when it completed).

    >>> verdict("node2", 0, True, "Install Docker Engine (RUNC-2)")[0]
    130
    >>> verdict("node1", 0, False, "Run tp-sleep (OPS-1)")
    (0, None)
    """
    where = f"at \"{step}\"" if step else "before its first step"
    resume = f"`vagrant provision {node}`"
    if interrupted:
        return 130, (f"{node}: the provision was interrupted {where}: the lab is not ready. "
                     f"Run {resume} to resume (what was done stays done).")
    if rc != 0:
        return rc, (f"{node}: the provision failed {where} (pyinfra exited {rc}; its error is "
                    f"above): the lab is not ready. Fix what it says, then run {resume}.")
    return 0, None


def busy_package_managers(pgrep_output: str) -> list[str]:
    """The package manager processes ``pgrep -a -x …`` lists, as "PID command".

    >>> busy_package_managers("1352 apt-get install -y docker.io\\n1360 /usr/bin/dpkg -i x.deb\\n")
    ['1352 apt-get install -y docker.io', '1360 /usr/bin/dpkg -i x.deb']
    """
    return [line.strip() for line in pgrep_output.splitlines() if line.strip()]


def ssh(node: str, command: str, timeout: int = 60) -> subprocess.CompletedProcess:
    return subprocess.run(["ssh", "-F", str(ssh_config_file(node)), "-o", "BatchMode=yes",
                           "-o", "ConnectTimeout=20", node, command],
                          capture_output=True, text=True, timeout=timeout, check=False)


def wait_for_package_manager(node: str, minutes: int = BUSY_MINUTES) -> bool:
    """Waits, saying for what, while a package manager runs on ``node`` (e.g. the apt-get
    of an interrupted provision, which goes on in the node); False when it still runs
    after ``minutes``. A node SSH does not reach is left to pyinfra to report."""
    deadline = time.monotonic() + minutes * 60
    while True:
        try:
            listed = ssh(node, f"pgrep -a -x '{PACKAGE_MANAGERS}'")
        except subprocess.TimeoutExpired:
            return True
        busy = busy_package_managers(listed.stdout) if listed.returncode in (0, 1) else []
        if not busy:
            return True
        if time.monotonic() >= deadline:
            print(f"{node}: its package manager is still busy after {minutes} minutes "
                  f"({'; '.join(busy)}): wait for it to end, or stop it (`vagrant ssh {node} "
                  f"-c 'sudo kill {busy[0].split()[0]}'`), then run `vagrant provision {node}`.",
                  file=sys.stderr)
            return False
        print(f"{node}: waiting for its package manager, busy with {'; '.join(busy)} "
              f"(at most {minutes} minutes)", flush=True)
        time.sleep(BUSY_POLL_SECONDS)


def pyinfra_run(pyinfra: str, deploy: str, node: str) -> tuple[int, bool, str | None]:
    """pyinfra's ``deploy`` on ``node``, its output passed through: its exit status,
    whether it was interrupted, and the last step it started."""
    command = [pyinfra, "--yes", "--chdir", str(REPO), "provision/inventory.py", deploy,
               "--limit", node]
    child = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
    step, interrupted = None, False
    try:
        for raw in child.stdout:
            line = raw.decode(errors="replace")
            sys.stdout.write(line)
            sys.stdout.flush()
            step = step_of(line) or step
            interrupted = interrupted or INTERRUPTED in line
        rc = child.wait()
    except KeyboardInterrupt:
        interrupted = True
        child.send_signal(signal.SIGINT)
        try:
            rc = child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            rc = child.wait()
    return rc, interrupted, step


def pairs_after(node: str, pairs_nodes: bool, main_is_up: bool) -> bool:
    """Whether ``node``'s completed provision goes on with what needs both nodes, on the
    main node: only another node's, when the lab has such a step and node1 is up.

    >>> pairs_after("node2", True, True), pairs_after("node1", True, True)
    (True, False)
    >>> pairs_after("node2", True, False), pairs_after("node2", False, True)
    (False, False)
    """
    return node != MAIN_NODE and pairs_nodes and main_is_up


def main_is_up() -> bool:
    """Whether node1 has been brought up and SSH reaches it now."""
    if not ssh_config_file(MAIN_NODE).exists():
        return False
    try:
        return ssh(MAIN_NODE, "true", timeout=30).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def provision(node: str, pyinfra: str) -> int:
    """pyinfra's deploy for ``node``, then, when it completes the pair, provision/pair.py
    on node1; the exit status."""
    if not wait_for_package_manager(node):
        return 1
    rc, interrupted, step = pyinfra_run(pyinfra, "provision/deploy.py", node)
    code, message = verdict(node, rc, interrupted, step)
    if not message:
        if pairs_after(node, pairs_nodes(load()), main_is_up()):
            print(f"{node} completes the pair: what needs both nodes, on {MAIN_NODE} "
                  "(provision/pair.py)", flush=True)
            rc, interrupted, step = pyinfra_run(pyinfra, "provision/pair.py", MAIN_NODE)
            code, message = verdict(node, rc, interrupted, step)
    if message:
        print(message, file=sys.stderr, flush=True)
    return code


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: provision/run.py NODE", file=sys.stderr)
        return 2
    venv = REPO / ".venv" / "bin" / "pyinfra"
    return provision(argv[0], str(venv) if venv.exists() else "pyinfra")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
