"""provision/run.py, the Vagrantfile's provisioner: a node's provision that did not
complete exits non-zero and says where it stopped and how to resume; a busy package
manager is waited for. pyinfra stands in as small scripts with its recorded words."""

import subprocess
import sys

import pytest

from lab.settings import REPO
from provision import run


@pytest.fixture
def fake_pyinfra(tmp_path, monkeypatch):
    monkeypatch.setattr(run, "wait_for_package_manager", lambda node: True)

    def make(lines: list[str], rc: int) -> str:
        script = tmp_path / "pyinfra"
        script.write_text(f"#!{sys.executable}\nimport sys\nprint('ran', *sys.argv[-3:])\n"
                          + "".join(f"print({line!r})\n" for line in lines)
                          + f"sys.exit({rc})\n")
        script.chmod(0o755)
        return str(script)
    return make


def test_an_interrupted_provision_exits_non_zero_naming_the_step_and_the_resume(
        fake_pyinfra, capsys):
    # pyinfra 3.10 on SIGINT: "Exiting upon user request!", exit status 0.
    pyinfra = fake_pyinfra(["--> Starting operation: node1 in /etc/hosts",
                            "--> Starting operation: Install Docker Engine (RUNC-2)",
                            "Exiting upon user request!"], 0)
    assert run.provision("node2", pyinfra) == 130
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last == ('node2: the provision was interrupted at "Install Docker Engine (RUNC-2)": '
                    "the lab is not ready. Run `vagrant provision node2` to resume (what was "
                    "done stays done).")


def test_a_failed_or_unreachable_node_keeps_pyinfra_s_status_and_says_how_to_resume(
        fake_pyinfra, capsys):
    pyinfra = fake_pyinfra(["--> Starting operation: Create the thin pool (SEC-4)",
                            "--> pyinfra error: No hosts remaining!"], 1)
    assert run.provision("node1", pyinfra) == 1
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert 'node1: the provision failed at "Create the thin pool (SEC-4)"' in last
    assert last.endswith("then run `vagrant provision node1`.")


def test_a_complete_provision_says_nothing_more(fake_pyinfra, capsys):
    pyinfra = fake_pyinfra(["--> Starting operation: Run tp-sleep (OPS-1)"], 0)
    assert run.provision("node1", pyinfra) == 0
    assert capsys.readouterr().err == ""


def test_a_busy_package_manager_is_waited_for_then_named_when_the_wait_runs_out(
        monkeypatch, capsys):
    # `pgrep -a -x …` on a node whose interrupted provision left apt-get running.
    held = "1352 apt-get install -y --no-install-recommends docker.io containerd runc\n"
    answers = iter([held, held, ""])
    monkeypatch.setattr(run, "ssh", lambda node, command: type(
        "Done", (), {"returncode": 0 if "apt" in (out := next(answers)) else 1,
                     "stdout": out})())
    monkeypatch.setattr(run.time, "sleep", lambda seconds: None)
    assert run.wait_for_package_manager("node2", minutes=15)
    said = capsys.readouterr().out
    assert said.count("node2: waiting for its package manager, busy with 1352 apt-get") == 2

    monkeypatch.setattr(run, "ssh", lambda node, command: type(
        "Done", (), {"returncode": 0, "stdout": held})())
    assert not run.wait_for_package_manager("node2", minutes=0)
    assert ("node2: its package manager is still busy after 0 minutes (1352 apt-get install"
            in capsys.readouterr().err)


def test_node2_completing_the_pair_runs_what_needs_both_nodes_on_node1(
        fake_pyinfra, monkeypatch, capsys):
    # lab.yml's defaults: Portainer manages node2. VirtualBox brings node2 up after node1.
    pyinfra = fake_pyinfra(["--> Starting operation: Install Docker Engine (RUNC-2)"], 0)
    monkeypatch.setattr(run, "pairs_nodes", lambda settings: True)  # whatever LAB_* says
    monkeypatch.setattr(run, "main_is_up", lambda: True)
    assert run.provision("node2", pyinfra) == 0
    out = capsys.readouterr().out
    assert "ran provision/deploy.py --limit node2" in out
    assert "node2 completes the pair: what needs both nodes, on node1" in out
    assert "ran provision/pair.py --limit node1" in out
    monkeypatch.setattr(run, "main_is_up", lambda: False)  # node2 first: node1 adds it later
    assert run.provision("node2", pyinfra) == 0
    assert "pair.py" not in capsys.readouterr().out


def test_run_as_a_script_it_leaves_the_standard_library_s_platform_unshadowed():
    # `python provision/run.py` puts provision/ first on sys.path, where platform.py would
    # shadow the standard library's for pyinfra (found live: node1's provision ended in
    # "partially initialized module 'platform'"). The script replaces that entry.
    code = ("import runpy, sys; sys.path[0] = 'provision'; "
            "runpy.run_path('provision/run.py', run_name='run'); "
            "import pyinfra.api, platform; print(platform.system())")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0 and done.stdout.strip() == "Linux", done.stderr[-500:]
