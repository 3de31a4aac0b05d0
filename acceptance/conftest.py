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
from lab.pki import ensure_pki
from lab.settings import PKI_DIR, REPO, STATE_DIR, load


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
    config.addinivalue_line(
        "markers", "nodes(*names): on the Vagrant lab, run only on these nodes (node1 is the "
        "main Docker host); on --hosts, run everywhere")
    if config.option.hosts is None:
        config.lab_nodes = True
        running, ssh_config = _lab_hosts()
        config.option.hosts = ",".join(f"paramiko://{name}" for name in running)
        config.option.ssh_config = str(ssh_config)
        config.option.sudo = True
    config.pluginmanager.register(RequirementReport(load_catalogue()), "lab-requirements")


def pytest_collection_modifyitems(config, items):
    """Drop (not skip) the lab's node-specific tests on the other nodes."""
    if not getattr(config, "lab_nodes", False):
        return
    kept = []
    for item in items:
        marker = item.get_closest_marker("nodes")
        callspec = getattr(item, "callspec", None)
        host = callspec.params.get("_testinfra_host") if callspec else None
        if marker and host and host.backend.get_hostname() not in marker.args:
            config.hook.pytest_deselected(items=[item])
        else:
            kept.append(item)
    items[:] = kept


@pytest.fixture(scope="session")
def settings():
    """The lab's settings (lab.yml): what the lab was asked to provision."""
    return load()


@pytest.fixture(scope="module")
def node(host, settings):
    """The lab node ``host`` is (lab.yml), or None for another machine."""
    return settings.nodes.get(host.backend.get_hostname())


@pytest.fixture(scope="module")
def address(host, node):
    """How the host machine reaches ``host`` from outside: its private IP on the lab."""
    return node.ip if node else host.backend.get_hostname()


@pytest.fixture(scope="session")
def lab_pki(settings):
    """The lab's CA and client certificate (made by provisioning, in .vagrant/lab/pki)."""
    if not (PKI_DIR / "ca.pem").exists():
        pytest.skip(f"no lab PKI in {PKI_DIR}: provision the lab first (vagrant up)")
    return ensure_pki(PKI_DIR, {n.name: n.ip for n in settings.nodes.values()})
