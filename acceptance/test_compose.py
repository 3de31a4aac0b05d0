"""TP section "5. Compose" (CMP-*), on node1.

The tests find the stack as Compose itself does, by the labels it puts on its
containers (project, service, working dir, compose files), so a stack in
another folder or under another project name is graded the same. The app is
the course's (app/ in this repository): its counter and ``/kv/KEY`` API are
what the checks drive.

CMP-6 scales a duplicate of the stack, run from a copy of its folder under another
project name (acceptance/duplicate.py), never the stack it grades.
"""

import json
import posixpath
import re
import shlex
import socket
import uuid
from dataclasses import dataclass, field

import pytest
import requests
import yaml

from acceptance.containers import containers as running_containers
from acceptance.duplicate import PROBE, PROJECT_PREFIX, compose_error, served
from acceptance.duplicate import duplicate as duplicate_of
from lab.settings import APP_KEY_PREFIX, APP_PORT

LABEL = "com.docker.compose"
SERVICES = ("db", "app", "front")
# Under qemu without KVM a new app container takes tens of seconds to answer.
START_TIMEOUT = 180


@dataclass(frozen=True)
class Stack:
    """A compose project, as its containers' labels describe it."""

    project: str
    working_dir: str
    config_files: tuple[str, ...]
    images: dict[str, str]  # service -> the image its (first) running container runs
    # service -> `docker inspect` of each of its running containers, when the stack was found
    running: dict[str, tuple[dict, ...]] = field(default_factory=dict)

    @property
    def services(self) -> frozenset[str]:
        return frozenset(self.images)


def graded_stack(running: list[dict]) -> Stack | None:
    """Of the compose projects that ``running`` (``docker inspect`` of the running
    containers) belong to, the one that runs the most of db, app and front; None when no
    container was started by Compose. CMP-6's duplicates, left by an interrupted run, are
    not the student's."""
    projects: dict[str, dict] = {}
    for container in running:
        labels = container["Config"].get("Labels") or {}
        project = labels.get(f"{LABEL}.project")
        if not project or project.startswith(PROJECT_PREFIX):
            continue
        found = projects.setdefault(project, {
            "working_dir": labels.get(f"{LABEL}.project.working_dir", ""),
            "config_files": labels.get(f"{LABEL}.project.config_files", ""),
            "images": {}, "running": {}})
        service = labels.get(f"{LABEL}.service", "")
        found["images"].setdefault(service, container["Config"]["Image"])
        found["running"].setdefault(service, []).append(container)
    if not projects:
        return None
    project, found = max(projects.items(),
                         key=lambda item: len(item[1]["images"].keys() & set(SERVICES)))
    return Stack(project=project, working_dir=found["working_dir"],
                 config_files=tuple(path for path in found["config_files"].split(",") if path),
                 images=found["images"],
                 running={service: tuple(them) for service, them in found["running"].items()})


@pytest.fixture(scope="module")
def stack(host, docker_info) -> Stack:
    """The stack graded, read once for the module's checks (``docker_info``: fails first,
    saying so, when Docker does not answer)."""
    found = graded_stack(running_containers(host))
    if found is None:
        pytest.fail("No container started by Compose is running: write the stack's compose file, "
                    "then `docker compose up -d` in its folder.")
    return found


@dataclass(frozen=True)
class Compose:
    """Runs Compose on the stack from its folder, with its project name and files:
    ``compose("up -d")``."""

    host: object
    stack: Stack
    program: str  # docker compose (the plugin) or docker-compose

    def __call__(self, arguments: str):
        files = " ".join(f"-f {shlex.quote(path)}" for path in self.stack.config_files)
        return self.host.run(f"cd {shlex.quote(self.stack.working_dir)} && {self.program} "
                             f"-p {shlex.quote(self.stack.project)} {files} {arguments}")


@pytest.fixture(scope="module")
def compose(host, stack) -> Compose:
    plugin = host.run("docker compose version").rc == 0
    return Compose(host, stack, "docker compose" if plugin else "docker-compose")


def containers(host, stack: Stack, service: str) -> list[str]:
    """The IDs of the running containers of ``service`` in the stack, asked of Docker now
    (CMP-6's duplicate, that the checks scale)."""
    return host.check_output(f"docker ps -q --filter label={LABEL}.project={stack.project} "
                             f"--filter label={LABEL}.service={service}").split()


def one(stack: Stack, service: str) -> dict:
    """``docker inspect`` of a running container of ``service`` in the graded stack; fails,
    saying what to do, when there is none."""
    found = stack.running.get(service)
    assert found, (
        f"No container of the service {service} runs in the compose project {stack.project}: "
        f"`docker compose up -d` in {stack.working_dir}; `docker compose logs {service}` says "
        "why it stopped."
    )
    return found[0]


def cid(stack: Stack, service: str) -> str:
    """The ID of a running container of ``service`` in the graded stack (see ``one``)."""
    return one(stack, service)["Id"]


@pytest.fixture(scope="module")
def front_url(address, settings) -> str:
    return f"http://{address}:{settings.ports['front']}/"


def visit(url: str) -> requests.Response:
    """GET the app's home page as JSON from this machine, as a visitor's browser would."""
    with requests.Session() as session:
        # The host's proxy variables must not send requests for the lab's private
        # network through a proxy.
        session.trust_env = False
        return session.get(url, headers={"Accept": "application/json"}, timeout=30)


# -- CMP-1: Compose installed ---------------------------------------------------------

@pytest.mark.req("CMP-1")
def test_compose_commands_answer(host, settings, docker_users):
    # Offline, Debian's docker.io has no Compose plugin: its docker-compose is the way.
    commands = (["docker-compose version"] if settings.engine == "distribution"
                else ["docker compose version", "docker-compose version"])
    for command in commands:
        # In a login shell of the TP's user: the PATH a student has (sudo's has
        # no /usr/local/bin on CentOS).
        run = host.run("runuser -l %s -c %s", docker_users[0], command)
        assert run.rc == 0, (
            f"`{command}` fails for {docker_users[0]} ({run.stderr.strip()}): "
            + ("`apt install docker-compose`." if settings.engine == "distribution" else
               "install the docker-compose-plugin package from Docker's repository, and "
               "make `docker-compose` run it (e.g. a script that runs `docker compose \"$@\"`).")
        )


@pytest.mark.req("CMP-1")
def test_compose_is_the_documented_package(host, settings):
    if settings.engine == "distribution":
        assert host.package("docker-compose").is_installed, (
            "The distribution's docker-compose package is not installed: "
            "`apt install docker-compose`.")
        return
    # Docker's documentation: the docker-compose-plugin package, whatever its version
    # (the lab pins lab.yml's versions.compose; the TP fixes none).
    plugin = host.package("docker-compose-plugin")
    assert plugin.is_installed, (
        "The docker-compose-plugin package is not installed: install it from Docker's "
        "repository (`dnf install docker-compose-plugin` / `apt install docker-compose-plugin`)."
    )
    version = host.run("docker compose version --short").stdout.strip().lstrip("v")
    assert version and plugin.version.startswith(version), (
        f"`docker compose version` says {version!r}, not the installed docker-compose-plugin "
        f"{plugin.version}: another `compose` plugin comes first (~/.docker/cli-plugins?)."
    )


# -- CMP-2: the app's image ------------------------------------------------------------

@pytest.fixture(scope="module")
def app_image(host, stack) -> str:
    """The ID of the image the app's container runs."""
    return one(stack, "app")["Image"]


def layers(host, image: str) -> list[str] | None:
    """The image's filesystem layers, bottom first; None when there is no such image.
    (host.docker is for containers.)"""
    shown = host.run(f"docker image inspect --format '{{{{json .RootFS.Layers}}}}' {image}")
    return json.loads(shown.stdout) if shown.rc == 0 else None


@pytest.mark.req("CMP-2")
def test_app_image_starts_from_a_python_image(host, settings, app_image):
    pythons = set(host.check_output("docker images --format '{{.Repository}}:{{.Tag}}' python")
                  .split()) | {settings.tp_images["python"]}
    built = layers(host, app_image)
    bases = [name for name in sorted(pythons)
             if (base := layers(host, name)) and built[:len(base)] == base]
    assert bases, (
        f"The app's image does not start from a Python image on this host (none of "
        f"{sorted(pythons)} is its base): begin its Dockerfile with "
        f"`FROM {settings.tp_images['python']}` and build it again."
    )


@pytest.mark.req("CMP-2")
def test_app_image_installed_its_requirements_with_pip(host, app_image):
    history = host.check_output(
        f"docker image history --no-trunc --format '{{{{.CreatedBy}}}}' {app_image}")
    # One step, not two words anywhere: `pip install … -r requirements.txt` (or --requirement).
    assert any("pip install" in step and re.search(r"(-r|--requirement)[ =]\S*requirements", step)
               for step in history.splitlines()), (
        "No step of the app's image ran `pip install -r requirements…` (docker image history): "
        "install the app's requirements with pip in its Dockerfile."
    )


@pytest.mark.req("CMP-2")
def test_app_container_has_flask_and_redis(host, stack):
    # What `pip show` reads (each distribution's metadata), without pip's own start-up:
    # 1.7 s against 5.9 s in a student's app container under emulation.
    shown = host.run("docker exec %s python -c %s", cid(stack, "app"),
                     "import importlib.metadata as m; "
                     "print(*{d.metadata['Name'].lower() for d in m.distributions()})")
    names = set(shown.stdout.split()) & {"flask", "redis"}
    assert names == {"flask", "redis"}, (
        f"The app's container lacks {sorted({'flask', 'redis'} - names)} "
        f"({shown.stderr.strip()}): `pip install -r requirements.txt` in the Dockerfile."
    )


# -- CMP-3: three services, only front published ------------------------------------------

@pytest.mark.req("CMP-3")
def test_stack_runs_db_app_and_front(stack):
    missing = sorted(set(SERVICES) - stack.services)
    assert not missing, (
        f"The compose project {stack.project} ({stack.working_dir}) runs "
        f"{sorted(stack.services)}, not {missing}: declare the services db (redis), app and "
        "front (nginx) in its compose file and `docker compose up -d`."
    )


def published(container: dict) -> dict[str, list[str]]:
    """Container port -> the host ports it is published on (``docker inspect`` of it)."""
    ports = container["NetworkSettings"]["Ports"] or {}
    return {port: [binding["HostPort"] for binding in bindings]
            for port, bindings in ports.items() if bindings}


@pytest.mark.req("CMP-3")
def test_app_publishes_no_port(stack):
    one(stack, "app")
    for container in stack.running["app"]:
        assert not published(container), (
            f"The app's container {container['Name'].lstrip('/')} publishes "
            f"{published(container)}: the app "
            "must be reachable only inside the compose network; remove `ports:` from app."
        )


@pytest.mark.req("CMP-3")
def test_front_publishes_port_80(stack, settings):
    port = str(settings.ports["front"])
    found = published(one(stack, "front"))
    assert port in found.get("80/tcp", []), (
        f"front publishes {found or 'nothing'}, not its port 80 on the host's {port}: "
        f'`ports: ["{port}:80"]` in the front service.'
    )


# -- CMP-4: db and db.b3.ingesup ------------------------------------------------------------

@pytest.fixture(scope="module")
def probes(host, stack):
    """Makes fresh keys and values, ``key, value = probes()``, so that a check never reads
    an older run's data; all deleted from db's Redis after the module's checks, as
    written there and as the app stores them (APP_KEY_PREFIX), in one command."""
    made = []

    def probe() -> tuple[str, str]:
        tag = uuid.uuid4().hex[:8]
        made.append(f"tp15-probe-{tag}")
        return made[-1], f"value-{tag}"

    yield probe
    keys = made + [APP_KEY_PREFIX + key for key in made]
    for db in stack.running.get("db", ()) if made else ():
        host.run("docker exec %s redis-cli DEL" + " %s" * len(keys), db["Id"], *keys)


@pytest.fixture
def probe(probes) -> tuple[str, str]:
    """A fresh key and value for one check (see ``probes``)."""
    return probes()


@pytest.mark.req("CMP-4")
@pytest.mark.parametrize("name", ["db", "db.b3.ingesup"])
def test_name_resolves_to_redis_in_the_app_container(host, stack, name):
    networks = one(stack, "db")["NetworkSettings"]["Networks"]
    addresses = [network["IPAddress"] for network in networks.values()]
    resolved = host.run("docker exec %s python -c %s %s", cid(stack, "app"),
                        "import socket, sys; print(socket.gethostbyname(sys.argv[1]))", name)
    assert resolved.rc == 0 and resolved.stdout.strip() in addresses, (
        f"In the app's container, {name} resolves to {resolved.stdout.strip() or 'nothing'} "
        f"({resolved.stderr.strip()[-200:]}), not the db container's {addresses}: "
        + ("name the Redis service db." if name == "db" else
           "give the db service the network alias db.b3.ingesup (networks: default: aliases:).")
    )


@pytest.mark.req("CMP-4")
@pytest.mark.parametrize("name", ["db", "db.b3.ingesup"])
def test_app_container_writes_and_reads_redis_through_name(host, stack, name, probe):
    key, value = probe
    script = ("import redis, sys; r = redis.Redis(host=sys.argv[1], port=6379, socket_timeout=10);"
              " r.set(sys.argv[2], sys.argv[3]); print(r.get(sys.argv[2]).decode())")
    db = cid(stack, "db")
    run = host.run("docker exec %s python -c %s %s %s %s", cid(stack, "app"), script,
                   name, key, value)
    stored = host.run("docker exec %s redis-cli GET %s", db, key).stdout.strip()
    assert run.rc == 0 and run.stdout.strip() == value, (
        f"From the app's container, Redis at {name}:6379 did not store and give back a value "
        f"({run.stderr.strip()[-300:]}): is db a Redis listening on 6379 in the same network?"
    )
    assert stored == value, (
        f"{name}:6379 is not the db container's Redis: it does not hold the value written."
    )


@pytest.mark.req("CMP-4")
def test_value_put_through_the_app_is_stored_in_redis(host, stack, probe):
    key, value = probe
    script = ("import sys, urllib.request as u; print(u.urlopen(u.Request("
              f"'http://localhost:{APP_PORT}/kv/' + sys.argv[1], data=sys.argv[2].encode(), "
              "method='PUT'), timeout=30).status)")
    db = cid(stack, "db")
    put = host.run("docker exec %s python -c %s %s %s", cid(stack, "app"), script, key,
                   value)
    stored = host.run("docker exec %s redis-cli GET %s", db, APP_KEY_PREFIX + key).stdout.strip()
    assert put.stdout.strip() == "201", (
        f"PUT /kv/{key} to the app answered {put.stdout.strip() or put.stderr.strip()[-300:]}: "
        "`docker compose logs app`."
    )
    assert stored == value, (
        f"The app accepted {key}={value}, but db's Redis holds {stored!r} under "
        f"{APP_KEY_PREFIX}{key}: the app writes to another Redis (REDIS_HOST must be db)."
    )


@pytest.mark.req("CMP-4")
def test_value_set_in_redis_is_read_by_the_app(host, stack, probe):
    key, value = probe
    script = ("import json, sys, urllib.request as u; print(json.load(u.urlopen("
              f"'http://localhost:{APP_PORT}/kv/' + sys.argv[1], timeout=30))['value'])")
    host.run_expect([0], "docker exec %s redis-cli SET %s %s", cid(stack, "db"),
                    APP_KEY_PREFIX + key, value)
    read = host.run("docker exec %s python -c %s %s", cid(stack, "app"), script, key)
    assert read.stdout.strip() == value, (
        f"The app does not read what db's Redis holds under {APP_KEY_PREFIX}{key} "
        f"({read.stdout.strip() or read.stderr.strip()[-300:]}): REDIS_HOST must be db."
    )


# -- CMP-5: from outside ------------------------------------------------------------------

@pytest.mark.req("CMP-5")
def test_front_serves_the_app_from_outside(front_url):
    try:
        first, second = visit(front_url), visit(front_url)
    except requests.RequestException as error:
        pytest.fail(f"{front_url} does not answer from this machine ({error}): publish front's "
                    "port 80 (ports:) and check that front runs (`docker compose ps`).")
    assert first.status_code == second.status_code == 200, (
        f"{front_url} answered {first.status_code} then {second.status_code}: "
        "`docker compose logs front app`."
    )
    assert "nginx" in first.headers.get("Server", "").lower(), (
        f"{front_url} is not served by NGINX (Server: {first.headers.get('Server')!r})."
    )
    assert second.json()["visits"] > first.json()["visits"], (
        f"The visit counter did not increase between two requests to {front_url} "
        f"({first.json()['visits']}, then {second.json()['visits']}): the app must count in Redis."
    )


@pytest.mark.req("CMP-5")
def test_app_port_is_closed_from_outside(address, settings):
    front = settings.ports["front"]
    try:  # the witness that the VM answers: else any port would look closed
        socket.create_connection((address, front), timeout=10).close()
    except OSError as error:
        pytest.fail(f"Cannot tell whether {address}:{APP_PORT} is closed: {address}:{front} "
                    f"(front) does not answer either ({error}). Is the VM up, front published?")
    try:  # refused, or dropped by a firewall: closed from here
        socket.create_connection((address, APP_PORT), timeout=10).close()
    except OSError:
        return
    pytest.fail(f"{address}:{APP_PORT} accepts connections from this machine: the app must be "
                "reachable only through front; remove `ports:` from the app service.")


# -- CMP-6: self-contained and scalable ------------------------------------------------------

def inside(path: str, folder: str) -> bool:
    """Whether ``path`` (absolute, or relative to ``folder``) is ``folder`` or below it."""
    folder = posixpath.normpath(folder)
    path = posixpath.normpath(posixpath.join(folder, path))
    return path == folder or path.startswith(folder + "/")


def host_paths(config: dict) -> dict[str, str]:
    """What a resolved compose file takes from the host: build contexts and bind mounts,
    as ``docker compose config`` (long volume syntax) or docker-compose 1.29 (short) prints."""
    found = {}
    for name, service in (config.get("services") or {}).items():
        build = service.get("build")
        if build:
            found[f"{name}: build"] = build["context"] if isinstance(build, dict) else build
        for volume in service.get("volumes") or []:
            if isinstance(volume, dict):
                if volume.get("type") == "bind":
                    found[f"{name}: {volume['target']}"] = volume["source"]
            elif volume.split(":")[0].startswith(("/", ".")):
                found[f"{name}: {volume.split(':')[1]}"] = volume.split(":")[0]
    return found


@pytest.mark.req("CMP-6")
def test_stack_needs_nothing_outside_its_folder(stack, compose):
    outside = [path for path in stack.config_files if not inside(path, stack.working_dir)]
    assert not outside, f"The compose files {outside} are outside the stack's folder."
    resolved = compose("config")
    assert resolved.rc == 0, f"`{compose.program} config` fails: {resolved.stderr.strip()}"
    taken = {what: path for what, path in host_paths(yaml.safe_load(resolved.stdout)).items()
             if not inside(path, stack.working_dir)}
    assert not taken, (
        f"The stack takes {taken} from outside its folder {stack.working_dir}: keep the "
        "Dockerfile, the app and NGINX's configuration in the folder, with relative paths."
    )


@pytest.fixture(scope="module")
def duplicate(host, stack, compose) -> Compose:
    """The stack run a second time, beside the student's, from a copy of its folder and
    under another project name ("on peut le dupliquer"): CMP-6 scales this one, so that
    grading never changes the stack being graded. Taken down with its volumes afterwards.
    """
    folder = host.check_output(f"mktemp -d /tmp/{PROJECT_PREFIX}.XXXXXX")
    copy = Compose(host, Stack(project=posixpath.basename(folder).replace(".", "-").lower(),
                               working_dir=folder, config_files=("tp15-duplicate.yml",),
                               images=stack.images), compose.program)
    try:
        host.run_expect([0], "cp -a %s/. %s && chmod 755 %s", stack.working_dir, folder, folder)
        files = " ".join("-f " + shlex.quote(posixpath.relpath(
            posixpath.join(stack.working_dir, path), stack.working_dir))
            for path in stack.config_files)
        resolved = host.run(f"cd {folder} && {compose.program} -p {copy.stack.project} "
                            f"{files} config")
        assert resolved.rc == 0, (
            f"`{compose.program} config` fails in a copy of {stack.working_dir}: "
            f"{compose_error(resolved.stderr)} (the stack must need nothing outside its folder)."
        )
        written = yaml.safe_dump(duplicate_of(yaml.safe_load(resolved.stdout), stack.images))
        host.run_expect([0], "printf '%%s' %s > %s/tp15-duplicate.yml", written, folder)
        yield copy
    finally:
        copy("down -v --remove-orphans")
        host.run("rm -rf %s", folder)


def probe_front(host, copy: Compose, replicas: int, count: int) -> list[tuple[object, str | None]]:
    """``count`` requests to the duplicate's front, from one of its app containers, once
    front answers and ``replicas`` app containers accept connections on the app's port
    (or START_TIMEOUT has passed)."""
    apps = containers(host, copy.stack, "app")
    assert apps, (f"The second stack runs no app container: `{copy.program} logs app` in a "
                  "copy of the stack's folder says why.")
    run = host.run("docker exec %s python -c %s %s %s %s %s %s %s", apps[0], PROBE,
                   "http://front:80/", str(START_TIMEOUT), str(count), str(replicas), "app",
                   str(APP_PORT))
    assert run.rc == 0, (
        f"The app's container could not ask front for its page ({run.stderr.strip()[-300:]})."
    )
    return served(run.stdout)


@pytest.mark.req("CMP-6")
def test_a_copy_of_the_folder_runs_a_second_stack_that_serves(host, compose, duplicate):
    up = duplicate("up -d")
    assert up.rc == 0, (
        f"A copy of the stack's folder does not come up under another project name "
        f"({compose_error(up.stderr)}): the stack must be duplicable, so no container_name "
        "and nothing outside its folder."
    )
    answers = probe_front(host, duplicate, replicas=1, count=3)
    assert all(status == 200 for status, _ in answers), (
        f"The second stack's front answered {[status for status, _ in answers]}: the stack "
        f"does not work on its own (`{compose.program} logs` in a copy of its folder)."
    )


@pytest.mark.req("CMP-6")
def test_three_app_replicas_serve_every_request(host, compose, duplicate, record_property):
    scaled = duplicate("up -d --scale app=3")
    assert scaled.rc == 0, (
        f"`{compose.program} up -d --scale app=3` failed: {compose_error(scaled.stderr)} "
        "(no container_name on app)."
    )
    running = len(containers(host, duplicate.stack, "app"))
    assert running == 3, f"After --scale app=3, {running} app containers run, not 3."
    # The burst starts once the three replicas listen: NGINX may send to any of them.
    burst = probe_front(host, duplicate, replicas=3, count=30)
    failed = [status for status, _ in burst if status != 200]
    assert not failed, (
        f"With 3 app replicas, {len(failed)} of 30 requests through front failed "
        f"({failed[:5]}): NGINX must find the replicas through Docker's DNS."
    )
    # The TP asks every request served, not spread: NGINX may keep to the replica it
    # resolved at start (the catalogue's CMP-6). How many served is noted.
    record_property("note", f"{len({by for _, by in burst})} of 3 app replicas served the "
                    "30 requests")
