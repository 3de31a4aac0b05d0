"""TP section "Low level containerization — 1. avec runc" (RUNC-*)."""

import pytest


@pytest.mark.req("RUNC-1")
def test_runc_is_installed_and_on_path(host):
    # Run, not host.exists("runc"): on PATH, and it answers.
    version = host.run("runc --version")
    assert version.rc == 0, (
        f"`runc --version` failed ({version.stderr.strip() or 'runc not found'}). "
        "Install runc: `dnf install runc` (CentOS) or `apt install runc` (Debian); "
        "with docker-ce it comes in the containerd.io package."
    )


@pytest.mark.req("RUNC-2")
def test_docker_engine_is_installed_the_official_way(host, settings):
    accepted = ["docker-ce"] + (["docker.io"] if settings.engine == "distribution" else [])
    installed = [name for name in accepted if host.package(name).is_installed]
    assert installed, (
        f"None of the packages {accepted} is installed. Install Docker Engine by following "
        "docs.docker.com/engine/install for your distribution: add Docker's repository, "
        "then install docker-ce (not your distribution's docker or podman-docker)."
    )


@pytest.mark.req("RUNC-2")
def test_docker_service_is_enabled_and_active(host):
    service = host.service("docker.service")
    assert service.is_enabled, "docker.service is not enabled: `systemctl enable docker.service`."
    assert service.is_running, (
        "docker.service is not active: `systemctl start docker.service`, and "
        "`journalctl -u docker.service` says why it stopped."
    )


@pytest.mark.req("RUNC-3")
def test_docker_info_reports_runc_as_default_runtime(docker_info):
    runtime = docker_info["DefaultRuntime"]
    assert runtime == "runc", (
        f"`docker info` reports the default runtime {runtime!r}, not runc: "
        "remove `default-runtime` from /etc/docker/daemon.json (or the --default-runtime "
        "flag) and restart docker."
    )
