"""The duplicate CMP-6 scales instead of the graded stack (acceptance/duplicate.py),
from configurations as `docker compose config` and docker-compose 1.29 print them."""

import http.server
import json
import subprocess
import sys
import threading
import time

import pytest

from acceptance.duplicate import PROBE, compose_error, duplicate, served

# `docker compose config -p tp15-duplicate-x` (Compose v2) of app/docker-compose.yml.
V2 = {
    "name": "tp15-duplicate-x",
    "services": {
        "db": {"image": "redis:latest", "networks": {"default": {"aliases": ["db.b3.ingesup"]}},
               "volumes": [{"type": "volume", "source": "redis-data", "target": "/data"}]},
        "app": {"build": {"context": "/tmp/tp15-duplicate.x", "dockerfile": "Dockerfile"},
                "image": "tp15-app:latest", "environment": {"REDIS_HOST": "db"}},
        "front": {"image": "nginx:latest",
                  "ports": [{"mode": "ingress", "target": 80, "published": "80",
                             "protocol": "tcp"}],
                  "volumes": [{"type": "bind", "source": "/tmp/tp15-duplicate.x/nginx/default.conf",
                               "target": "/etc/nginx/conf.d/default.conf", "read_only": True}]},
    },
    "networks": {"default": {"name": "tp15-duplicate-x_default"}},
    "volumes": {"redis-data": {"name": "tp15-duplicate-x_redis-data"}},
}


def test_the_duplicate_publishes_no_port_and_builds_nothing():
    copied = duplicate(V2, images={"app": "tp15-app:latest", "front": "nginx:latest"})
    assert [service.get("ports") for service in copied["services"].values()] == [None] * 3
    assert copied["services"]["app"] == {"image": "tp15-app:latest",
                                         "environment": {"REDIS_HOST": "db"}}
    assert "name" not in copied


def test_the_duplicate_keeps_what_the_student_wrote_otherwise():
    copied = duplicate(V2, images={"app": "tp15-app:latest"})
    assert copied["services"]["db"] == V2["services"]["db"]
    assert copied["services"]["front"]["volumes"] == V2["services"]["front"]["volumes"]
    # A service whose container is not running keeps its build.
    assert "build" in duplicate(V2, images={})["services"]["app"]


def test_a_container_name_stays_so_that_a_stack_that_cannot_be_duplicated_fails():
    named = {"services": {"app": {"image": "tp-app", "container_name": "app"}}}
    assert duplicate(named, images={"app": "tp-app"})["services"]["app"]["container_name"] == "app"


def test_volumes_and_networks_are_named_by_compose_unless_external():
    config = {**V2, "volumes": {"redis-data": {"name": "tp_redis-data"},
                                "shared": {"name": "shared", "external": True}},
              "networks": {"default": {"name": "tp_default"}, "proxy": None}}
    copied = duplicate(config, images={})
    assert copied["volumes"] == {"redis-data": {}, "shared": {"name": "shared", "external": True}}
    assert copied["networks"] == {"default": {}, "proxy": None}
    assert config["volumes"]["redis-data"] == {"name": "tp_redis-data"}  # not changed in place


def test_docker_compose_1_29s_short_syntax_loses_its_ports_too():
    config = {"version": "3.8", "services": {"front": {"image": "nginx", "ports": ["80:80/tcp"]}}}
    assert duplicate(config, images={}) == {"version": "3.8",
                                            "services": {"front": {"image": "nginx"}}}


def test_the_probe_reports_each_requests_status_and_what_an_unreachable_front_gives():
    # Nothing listens on port 9 of this machine: every request fails, and the
    # probe still prints one entry per request instead of crashing.
    run = subprocess.run([sys.executable, "-c", PROBE, "http://127.0.0.1:9/", "0", "3", "1",
                          "127.0.0.1", "9"],
                         capture_output=True, text=True, timeout=60, check=True)
    answers = served(run.stdout)
    assert len(answers) == 3
    assert all(status != 200 and "Error" in str(status) and by is None
               for status, by in answers)


def test_served_reads_the_probes_json():
    assert served(json.dumps([[200, "a1b2"], [502, None]])) == [(200, "a1b2"), (502, None)]


# docker-compose 1.29's stderr when the compose file names app's container (recorded on node1).
CONFLICT = "\n".join([
    'Creating network "tp15-duplicate-abc123_default" with the default driver',
    "Creating tp15-duplicate-abc123_db_1 ... done",
    "Creating tp15-app                   ... error",
    "",
    'ERROR: for app  Cannot create container for service app: Conflict. The container name '
    '"/tp15-app" is already in use by container "43f2cd76cdb5". You have to remove (or rename) '
    "that container to be able to reuse that name.",
    "Encountered errors while bringing up the project.",
])


def test_compose_error_keeps_composes_own_error_lines():
    said = compose_error(CONFLICT)
    assert said.startswith('ERROR: for app  Cannot create container for service app: '
                           'Conflict. The container name "/tp15-app" is already in use')
    assert "Creating" not in said


def test_compose_error_without_error_lines_gives_the_last_ones():
    said = compose_error("pulling\nno such file: Dockerfile\n\n")
    assert said == "pulling no such file: Dockerfile"


class OneReplica(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("X-Served-By", "only")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def one_replica():
    """An app replica on this machine's loopback: its port."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), OneReplica)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_port
    server.shutdown()


def probe(port: int, replicas: int, timeout: int) -> tuple[float, list]:
    """PROBE run here against ``one_replica`` (front and app the same server): how long it
    took, and what it served."""
    started = time.monotonic()
    run = subprocess.run([sys.executable, "-c", PROBE, f"http://127.0.0.1:{port}/",
                          str(timeout), "3", str(replicas), "127.0.0.1", str(port)],
                         capture_output=True, text=True, timeout=60, check=True)
    return time.monotonic() - started, served(run.stdout)


def test_the_probe_sends_its_burst_as_soon_as_every_replica_listens(one_replica):
    """NGINX that keeps to one replica serves every request, as the TP allows: nothing
    waits for the requests to spread."""
    took, answers = probe(one_replica, replicas=1, timeout=120)
    assert took < 10
    assert answers == [(200, "only")] * 3


def test_the_probe_waits_for_missing_replicas_no_longer_than_its_timeout(one_replica):
    # One address listens where three replicas are wanted: the probe waits its timeout,
    # then sends its burst all the same (what NGINX makes of it is the check's to judge).
    took, answers = probe(one_replica, replicas=3, timeout=4)
    assert 4 <= took < 15
    assert answers == [(200, "only")] * 3
