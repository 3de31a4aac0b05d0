"""What provision/compose.py would write and run, and its contract with app/docker-compose.yml,
checked without a VM."""

import dataclasses
import re
from fnmatch import fnmatch

import pytest
import yaml

from lab.settings import load
from provision.compose import (
    APP_DIR,
    SERVICES,
    compose_command,
    env_file,
    left_on_the_host,
)
from provision.platform import PLATFORMS

COMPOSE_FILE = APP_DIR / "docker-compose.yml"


@pytest.fixture
def settings():
    settings = load(environ={})
    # A known front port, whatever lab.yml says.
    return dataclasses.replace(settings, ports={**settings.ports, "front": 80})


@pytest.fixture
def offline(settings):
    return dataclasses.replace(settings, engine="distribution", images="offline")


def test_docker_ce_labs_use_the_plugin_and_offline_labs_debians_docker_compose(settings, offline):
    assert compose_command(settings) == "docker compose"
    assert compose_command(offline) == "docker-compose"
    assert PLATFORMS["debian-12"].compose_packages(offline) == ["docker-compose"]
    assert PLATFORMS["debian-12"].compose_packages(settings) == [
        "docker-compose-plugin=2.27.0-1~debian.12~bookworm"]
    assert PLATFORMS["centos-stream-9"].compose_packages(settings) == [
        "docker-compose-plugin=2.27.0-1.el9"]


def test_env_file_names_the_tps_images_and_fronts_port(settings):
    images = dict(settings.tp_images, redis="registry.example/redis:7")
    changed = dataclasses.replace(settings, tp_images=images, ports={**settings.ports,
                                                                     "front": 8000})
    assert env_file(changed) == (
        "REDIS_IMAGE=registry.example/redis:7\n"
        f"NGINX_IMAGE={settings.tp_images['nginx']}\n"
        f"PYTHON_IMAGE={settings.tp_images['python']}\n"
        "FRONT_PORT=8000\n"
    )


def test_every_variable_of_the_compose_file_is_in_the_env_file(settings):
    used = set(re.findall(r"\$\{([A-Z_]+):-", COMPOSE_FILE.read_text(encoding="utf-8")))
    written = {line.split("=", 1)[0] for line in env_file(settings).splitlines()}
    assert used == written


def test_wheels_go_to_the_node_only_when_the_lab_is_offline(settings, offline):
    wheel = str(APP_DIR / "wheels" / "flask-3.1.3-py3-none-any.whl")
    online_files, _ = left_on_the_host(settings)
    offline_files, offline_dirs = left_on_the_host(offline)
    assert any(fnmatch(wheel, pattern) for pattern in online_files)
    assert not any(fnmatch(wheel, pattern) for pattern in offline_files)
    for kept in ("docker-compose.yml", "Dockerfile", "app.py", "requirements.txt",
                 "nginx/default.conf", ".dockerignore"):
        assert not any(fnmatch(str(APP_DIR / kept), pattern) for pattern in offline_files), kept
    assert any(fnmatch(str(APP_DIR / ".env"), pattern) for pattern in offline_files)
    assert "tests" in offline_dirs


def test_compose_file_has_the_three_services_and_publishes_only_front():
    stack = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    # docker-compose 1.29 and Compose v2 both read a file without `version:`
    assert "version" not in stack
    assert tuple(stack["services"]) == SERVICES
    assert "ports" not in stack["services"]["app"]
    assert "ports" not in stack["services"]["db"]
    assert stack["services"]["front"]["ports"] == ["${FRONT_PORT:-80}:80"]
    assert "db.b3.ingesup" in stack["services"]["db"]["networks"]["default"]["aliases"]
    assert stack["services"]["app"]["environment"]["REDIS_HOST"] == "db"
    assert "--appendonly" in stack["services"]["db"]["command"]
    assert "redis-data:/data" in stack["services"]["db"]["volumes"]


def test_front_re_resolves_the_app_replicas_through_dockers_dns():
    conf = (APP_DIR / "nginx" / "default.conf").read_text(encoding="utf-8")
    assert re.search(r"^\s*resolver 127\.0\.0\.11 valid=5s", conf, re.M)
    # a variable in proxy_pass is what makes NGINX resolve `app` at run time
    assert re.search(r"^\s*set \$app http://app:5000;", conf, re.M)
    assert re.search(r"^\s*proxy_pass \$app;", conf, re.M)
