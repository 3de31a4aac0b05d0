"""The ways a student meets a requirement that the checks accept, on recorded
``docker inspect`` and systemd outputs: each way the TP allows passes, the absence of
the work does not (issue: grading a real student's work)."""

import pytest

from acceptance.containers import CHECK_LABEL, detached, mounted_pages
from acceptance.dockerd import configured_oom_score
from acceptance.test_portainer import environments_of

NGINX = "/usr/share/nginx/html"


def bind(source: str, destination: str) -> dict:
    return {"Type": "bind", "Source": source, "Destination": destination}


# --- OPS-6: the page mounted with -v, its folder or the page itself ----------------------

@pytest.mark.parametrize("mount, pages", [
    (bind("/srv/site", NGINX), {"/": "/srv/site/index.html"}),
    (bind("/srv/site/", NGINX + "/"), {"/": "/srv/site/index.html"}),
    (bind("/home/me/page.html", NGINX + "/index.html"), {"/": "/home/me/page.html"}),
    (bind("/home/me/tp.html", NGINX + "/tp.html"), {"/tp.html": "/home/me/tp.html"}),
    (bind("/srv/conf", "/etc/nginx/conf.d"), {}),
    ({"Type": "volume", "Source": "/var/lib/docker/volumes/x", "Destination": NGINX}, {}),
])
def test_the_page_nginx_serves_from_a_bind_mount(mount, pages):
    assert mounted_pages({"Mounts": [mount]}) == pages


# --- OPS-1: started detached, running or exited since -------------------------------------

def test_a_container_started_with_d_is_detached_and_one_with_it_is_not():
    assert detached({"Config": {"AttachStdin": False, "AttachStdout": False,
                                "AttachStderr": False}})
    assert not detached({"Config": {"AttachStdin": True, "AttachStdout": True,
                                    "AttachStderr": True}})


def test_the_checks_own_containers_carry_the_label_the_grading_skips():
    from acceptance.containers import LABELLED
    assert LABELLED == f"--label {CHECK_LABEL}=1"


# --- DCFG-4: the OOM score in daemon.json, a flag, or the unit -----------------------------

EXECSTART = "{ path=/usr/bin/dockerd ; argv[]=/usr/bin/dockerd -H fd:// %s ; ignore_errors=no }"


@pytest.mark.parametrize("daemon_json, unit, configured", [
    ({"oom-score-adjust": -800}, {"ExecStart": EXECSTART % "", "OOMScoreAdjust": "0"},
     (-800, "/etc/docker/daemon.json's oom-score-adjust")),
    ({}, {"ExecStart": EXECSTART % "--oom-score-adjust=-900", "OOMScoreAdjust": "0"},
     (-900, "an --oom-score-adjust flag on dockerd's command line")),
    ({}, {"ExecStart": EXECSTART % "--oom-score-adjust -700", "OOMScoreAdjust": "0"},
     (-700, "an --oom-score-adjust flag on dockerd's command line")),
    ({}, {"ExecStart": EXECSTART % "", "OOMScoreAdjust": "-600"},
     (-600, "docker.service's OOMScoreAdjust=")),
    ({}, {"ExecStart": EXECSTART % "", "OOMScoreAdjust": "0"}, None),   # Docker's defaults
    ({"data-root": "/data"}, {"ExecStart": EXECSTART % ""}, None),
])
def test_where_the_student_set_dockerd_s_oom_score(daemon_json, unit, configured):
    assert configured_oom_score(daemon_json, unit) == configured


def test_a_flag_from_debian_s_etc_default_docker_is_read_on_dockerd_s_command_line():
    # Recorded on a student's node1 (Debian 12, docker.io 20.10.24): DOCKER_OPTS in
    # /etc/default/docker, which docker.service's EnvironmentFile= reads and ExecStart
    # expands; systemd's ExecStart property still says $DOCKER_OPTS.
    unit = {"ExecStart": EXECSTART % "$DOCKER_OPTS", "OOMScoreAdjust": "0"}
    cmdline = ("/usr/sbin/dockerd\0-H\0fd://\0--containerd=/run/containerd/containerd.sock"
               "\0--oom-score-adjust=-700\0").replace("\0", " ")
    assert configured_oom_score({}, unit) is None
    assert configured_oom_score({}, unit, cmdline) == (
        -700, "an --oom-score-adjust flag on dockerd's command line")


# --- GUI-2: the student's second host, not any environment over TCP -----------------------

def test_portainer_s_environment_of_the_second_host_is_found_by_its_address_at_any_port():
    environments = [{"Name": "local", "URL": "unix:///var/run/docker.sock"},
                    {"Name": "someone else's", "URL": "tcp://10.0.0.9:2376"},
                    {"Name": "node2", "URL": "tcp://192.168.56.22:2377"}]
    assert environments_of(environments, {"192.168.56.22"}) == [environments[2]]
    assert environments_of(environments, {"192.168.56.23"}) == []


# --- RKT-3/RKT-4: the alpine a student's own `rkt run` left in rkt's store ---------------

def test_the_student_s_alpine_is_found_in_rkt_s_store_whatever_its_registry():
    from acceptance.test_rkt import alpine_in_store

    listed = ("sha512-5f1e coreos.com/rkt/stage1-coreos:1.29.0\n"
              "sha512-77aa 192.168.56.11_5050/library/alpine:latest\n")
    assert alpine_in_store(listed) == "sha512-77aa"
    assert alpine_in_store("sha512-5f1e coreos.com/rkt/stage1-coreos:1.29.0\n") is None
    assert alpine_in_store("") is None


# --- SEC-2: root of a running container, remapped on the host ------------------------------

class UidMaps:
    """A graded host whose processes have the recorded /proc/PID/uid_map ``maps``."""

    def __init__(self, maps: dict[int, str]):
        self.maps = maps

    def run(self, command: str):
        pid = int(command.split("/")[2])
        shown = self.maps.get(pid)
        return type("Run", (), {"rc": 1 if shown is None else 0, "stdout": shown or ""})


def test_root_of_a_container_is_read_from_its_uid_map():
    from acceptance.test_security import root_uid_on_the_host

    # Recorded on a student's node1 (userns-remap "dockmap", subuid 500000-565535), on a
    # host without remapping, and for a container that ended in between.
    host = UidMaps({4242: "         0     500000      65536\n",
                    77: "         0          0 4294967295\n"})
    assert root_uid_on_the_host(host, 4242) == 500000
    assert root_uid_on_the_host(host, 77) == 0
    assert root_uid_on_the_host(host, 99) is None


# --- CMP-*: the stack, found by Compose's labels whatever its folder, files or project -----

def compose_container(project: str, service: str, cid: str,
                      files: str = "/home/etudiant/remake-stack/compose-remake.yml") -> dict:
    return {"Id": cid, "Config": {"Image": f"{service}-image", "Labels": {
        "com.docker.compose.project": project, "com.docker.compose.service": service,
        "com.docker.compose.project.working_dir": "/home/etudiant/remake-stack",
        "com.docker.compose.project.config_files": files}}}


def test_the_graded_stack_is_the_project_running_the_most_of_the_tp_s_services():
    from acceptance.test_compose import graded_stack

    running = [
        {"Id": "sleeper", "Config": {"Image": "alpine", "Labels": None}},
        compose_container("essai", "db", "e1"),
        compose_container("remake", "db", "d1"),
        compose_container("remake", "app", "a1"),
        compose_container("remake", "app", "a2"),
        compose_container("remake", "front", "f1"),
        # CMP-6's duplicate, left by an interrupted grading
        compose_container("tp15-duplicate-x1", "app", "x1"),
        compose_container("tp15-duplicate-x1", "db", "x2"),
        compose_container("tp15-duplicate-x1", "front", "x3"),
    ]
    stack = graded_stack(running)
    assert (stack.project, stack.working_dir) == ("remake", "/home/etudiant/remake-stack")
    assert stack.config_files == ("/home/etudiant/remake-stack/compose-remake.yml",)
    assert stack.services == {"db", "app", "front"}
    assert [c["Id"] for c in stack.running["app"]] == ["a1", "a2"]


def test_no_container_started_by_compose_is_no_stack():
    from acceptance.test_compose import graded_stack

    assert graded_stack([{"Id": "sleeper", "Config": {"Image": "alpine", "Labels": None}}]) is None
    assert graded_stack([compose_container("tp15-duplicate-x1", "app", "x1")]) is None


def test_a_service_that_runs_no_container_is_named_with_what_to_type():
    from acceptance.test_compose import graded_stack, one

    stack = graded_stack([compose_container("remake", "db", "d1"),
                          compose_container("remake", "app", "a1")])
    assert one(stack, "app")["Id"] == "a1"
    with pytest.raises(AssertionError, match=r"No container of the service front runs in the "
                       r"compose project remake: `docker compose up -d` in "
                       r"/home/etudiant/remake-stack"):
        one(stack, "front")
