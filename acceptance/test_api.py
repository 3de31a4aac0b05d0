"""TP section "Docker basics — 3. HTTP API" (API-*), on node1: curl alone,
over the daemon's UNIX socket."""

import json

import pytest

from acceptance.containers import CHECK_LABEL

SOCKET = "/var/run/docker.sock"


def api(host, method: str, path: str, body: dict | None = None):
    """``curl --unix-socket /var/run/docker.sock -X METHOD http://localhost/PATH``."""
    data = f"-H 'Content-Type: application/json' -d '{json.dumps(body)}' " if body else ""
    run = host.run(f"curl -sS --fail-with-body --unix-socket {SOCKET} -X {method} {data}"
                   f"http://localhost{path}")
    assert run.rc == 0, (f"curl {method} {path} over {SOCKET} failed: {run.stderr.strip()} "
                         f"{run.stdout.strip()[:300]}".rstrip()
                         + why_curl_failed(run.rc, host.file(SOCKET).is_socket))
    return json.loads(run.stdout) if run.stdout.strip() else None


def why_curl_failed(rc: int, socket_exists: bool) -> str:
    """What a student checks when curl over the socket fails with exit ``rc``: the
    socket missing, or nothing listening on it (curl's exit 7, "Failed to connect").

    >>> why_curl_failed(7, socket_exists=True)
    ' (nothing answers on /var/run/docker.sock: dockerd is stopped; ...)'
    >>> why_curl_failed(22, socket_exists=True)
    ''
    """
    if not socket_exists:
        return (f" ({SOCKET} does not exist: is Docker Engine installed and dockerd running? "
                "`systemctl status docker`)")
    if rc == 7:
        return (f" (nothing answers on {SOCKET}: dockerd is stopped; `systemctl start docker`, "
                "and `systemctl status docker` says why it stopped)")
    return ""


@pytest.fixture(scope="module")
def curl_container(host, settings):
    """A container created with curl alone (API-3), labelled as the checks' own (never
    graded as the student's); each check starts it (starting it again answers 304).
    Removed afterwards."""
    created = api(host, "POST", "/containers/create",
                  {"Image": settings.tp_images["alpine"], "Cmd": ["sleep", "300"],
                   "Labels": {CHECK_LABEL: "1"}})
    yield created["Id"]
    api(host, "DELETE", f"/containers/{created['Id']}?force=true")


@pytest.mark.req("API-1")
def test_curl_lists_the_running_containers(host, curl_container):
    api(host, "POST", f"/containers/{curl_container}/start")
    listed = [container["Id"] for container in api(host, "GET", "/containers/json")]
    assert curl_container in listed, (
        "GET /containers/json does not list a running container: "
        f"`curl --unix-socket {SOCKET} http://localhost/containers/json`."
    )


@pytest.mark.req("API-2")
def test_curl_lists_the_images(host, settings):
    tags = [tag for image in api(host, "GET", "/images/json") for tag in image["RepoTags"] or []]
    assert settings.tp_images["alpine"] in tags, (
        f"GET /images/json does not list {settings.tp_images['alpine']} (found {tags})."
    )


@pytest.mark.req("API-3")
def test_curl_created_container_has_an_ip(host, curl_container):
    api(host, "POST", f"/containers/{curl_container}/start")
    inspected = api(host, "GET", f"/containers/{curl_container}/json")
    address = inspected["NetworkSettings"]["IPAddress"]
    assert address, (
        "The container started with curl has no IP in NetworkSettings.IPAddress: is it on the "
        "default bridge network?"
    )
    seen = host.docker(curl_container).inspect()["NetworkSettings"]["IPAddress"]
    assert address == seen, f"curl says {address}, docker inspect says {seen}."
