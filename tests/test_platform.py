"""What the provisioners would install on each distribution (provision/platform.py).

CentOS Stream 9 and Docker's repositories cannot be reached from CI, so these
plans are the part of that path we can check without a VM.
"""

import dataclasses

import pytest

from lab.settings import load
from provision.platform import PLATFORMS, dnf_install_command


@pytest.fixture
def settings():
    return load(environ={})


def test_centos_installs_pinned_docker_ce_from_dockers_repository(settings):
    centos = PLATFORMS["centos-stream-9"]
    assert centos.package_manager == "dnf"
    assert centos.docker_repo == "https://download.docker.com/linux/centos/docker-ce.repo"
    assert centos.docker_packages(settings) == [
        "docker-ce=24.0.9-1.el9",
        "docker-ce-cli=24.0.9-1.el9",
        "containerd.io=1.6.28-3.1.el9",
        "docker-buildx-plugin=0.12.1-1.el9",
        "docker-compose-plugin=2.27.0-1.el9",
    ]


def test_docker_ce_hosts_take_runc_from_the_pinned_containerd_io(settings):
    assert PLATFORMS["centos-stream-9"].runc_packages(settings) == [
        "containerd.io=1.6.28-3.1.el9"]
    assert PLATFORMS["debian-12"].runc_packages(settings) == ["containerd.io=1.6.28-1"]


def test_debian_online_uses_dockers_apt_repository_with_epoch(settings):
    debian = PLATFORMS["debian-12"]
    assert debian.package_manager == "apt"
    assert "https://download.docker.com/linux/debian bookworm stable" in debian.docker_repo
    assert debian.docker_repo_key == "https://download.docker.com/linux/debian/gpg"
    assert debian.docker_packages(settings) == [
        "docker-ce=5:24.0.9-1~debian.12~bookworm",
        "docker-ce-cli=5:24.0.9-1~debian.12~bookworm",
        # Docker's containerd.io carries no distribution suffix on Debian
        "containerd.io=1.6.28-1",
        "docker-buildx-plugin=0.12.1-1~debian.12~bookworm",
        "docker-compose-plugin=2.27.0-1~debian.12~bookworm",
        "apparmor",
    ]


def test_debian_offline_uses_the_distributions_docker_and_runc(settings):
    offline = dataclasses.replace(settings, engine="distribution")
    debian = PLATFORMS["debian-12"]
    assert debian.docker_packages(offline) == ["docker.io", "containerd", "runc", "apparmor"]
    assert debian.runc_packages(offline) == ["runc"]


def test_versions_follow_lab_yml(settings):
    newer = dataclasses.replace(settings, versions=dataclasses.replace(
        settings.versions, docker="23.0.6", containerd="1.6.21", buildx="0.11.2"))
    assert PLATFORMS["centos-stream-9"].docker_packages(newer)[:4] == [
        "docker-ce=23.0.6-1.el9", "docker-ce-cli=23.0.6-1.el9", "containerd.io=1.6.21-3.1.el9",
        "docker-buildx-plugin=0.11.2-1.el9"]


def test_dnf_installs_only_what_is_missing_in_dockers_name_version_form():
    wanted = ["docker-ce=24.0.9-1.el9", "lvm2"]
    assert dnf_install_command(wanted, {}) == "dnf install -y docker-ce-24.0.9-1.el9 lvm2"
    assert dnf_install_command(wanted, {"docker-ce": {"24.0.9-1.el9"},
                                        "lvm2": {"2.03.24-2.el9"}}) is None
    # another version installed: dnf moves to the pinned one
    assert dnf_install_command(wanted, {"docker-ce": {"26.1.3-1.el9"},
                                        "lvm2": {"2.03.24-2.el9"}}) == (
        "dnf install -y docker-ce-24.0.9-1.el9")


def test_a_new_pin_installs_past_the_lock_of_the_old_one():
    installed = {"docker-ce": {"24.0.7-1.el9"}}
    wanted = ["docker-ce=24.0.9-1.el9"]
    assert dnf_install_command(wanted, installed, {"docker-ce": {"24.0.7-1.el9"}}) == (
        "dnf install -y --disableplugin=versionlock docker-ce-24.0.9-1.el9")
    # held at the wanted version (or not held): the lock lets the pin through
    assert dnf_install_command(wanted, installed, {"docker-ce": {"24.0.9-1.el9"}}) == (
        "dnf install -y docker-ce-24.0.9-1.el9")
    assert dnf_install_command(wanted, installed, {}) == "dnf install -y docker-ce-24.0.9-1.el9"
