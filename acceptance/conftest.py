"""Hosts and fixtures of the acceptance suite.

Without ``--hosts`` the suite grades the running Vagrant lab: python-vagrant
asks Vagrant which nodes run and how to reach them (``vagrant ssh-config``),
and every check runs as root (sudo) on each of them. With ``--hosts`` it
grades any machine testinfra can reach, e.g. a student's VM:

    pytest acceptance/ --hosts=ssh://student@192.168.56.20 --sudo
"""

from pathlib import Path

import pytest
import vagrant

from acceptance.report import RequirementReport
from lab.catalogue import load_catalogue
from lab.settings import REPO, STATE_DIR, load


def _lab_hosts() -> tuple[list[str], Path]:
    """The running lab's nodes, with their SSH details written for testinfra."""
    lab = vagrant.Vagrant(root=str(REPO), quiet_stderr=True)
    running = [status.name for status in lab.status() if status.state == "running"]
    if not running:
        pytest.exit(
            "No node of the lab is running: run `vagrant up` first, or grade another "
            "machine with --hosts=ssh://USER@ADDRESS --sudo.",
            returncode=2,
        )
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    ssh_config = STATE_DIR / "ssh-config"
    ssh_config.write_text("\n".join(lab.ssh_config(vm_name=name) for name in running))
    return running, ssh_config


def pytest_configure(config):
    if config.option.hosts is None:
        running, ssh_config = _lab_hosts()
        config.option.hosts = ",".join(f"paramiko://{name}" for name in running)
        config.option.ssh_config = str(ssh_config)
        config.option.sudo = True
    config.pluginmanager.register(RequirementReport(load_catalogue()), "lab-requirements")


@pytest.fixture(scope="session")
def settings():
    """The lab's settings (lab.yml): what the lab was asked to provision."""
    return load()
