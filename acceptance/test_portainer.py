"""TP section "6. GUI ?" (GUI-*): Portainer on the main Docker host drives the second one.

    Déployer Portainer ; créer un deuxième hôte Docker (deuxième VM) et le piloter
    depuis Portainer (socket TCP)

Portainer is found by what it is (a running container of a ``portainer`` image) and
reached on the port it publishes, from the machine that runs the suite. GUI-2 logs in as
Portainer's admin: on the lab with the password provisioning generated
(``.vagrant/lab/portainer-admin-password``), on another host as ``--portainer-user``
(admin) with ``--portainer-password``, and looks for the environment of the student's
second host: its inventory ``partner:``, at whatever port its TCP daemon listens. A lab
that had no Portainer image to run (``images: offline`` without the artifacts folder's
tarball) reports GUI-1 and GUI-2 as SKIP, saying which file is missing and how to make
it: they never pass without a Portainer answering.
"""

import pytest
import requests
import urllib3

from acceptance.clients import tcp_client
from lab.artifacts import portainer_image, portainer_image_source
from lab.settings import (
    PORTAINER_ADMIN,
    PORTAINER_HTTPS_PORT,
    PORTAINER_PASSWORD_FILE,
)

CHECK_CONTAINER = "tp15-check-portainer"
STATUS_UP = 1  # an environment's Status in Portainer's API (2: down)


@pytest.fixture(scope="module")
def portainer_url(host, settings, address, on_the_lab):
    """``https://ADDRESS:PORT`` of the running Portainer, as published on the host."""
    if on_the_lab and (source := portainer_image_source(settings)).kind == "none":
        pytest.skip(source.where)
    listed = host.run("docker ps --format '{{.ID}} {{.Image}}'")
    found = [line.split()[0] for line in listed.stdout.splitlines()
             if "portainer" in line.split()[-1].rsplit("/", 1)[-1]]
    if not found:
        pytest.fail("No Portainer container runs on this host: `docker volume create "
                    "portainer_data; docker run -d --name portainer --restart=always -p "
                    "9443:9443 -v /var/run/docker.sock:/var/run/docker.sock -v "
                    f"portainer_data:/data {portainer_image(settings)}` (TP 6).")
    for inside, scheme in ((PORTAINER_HTTPS_PORT, "https"), (9000, "http")):
        published = host.run(f"docker port {found[0]} {inside}/tcp")
        if published.rc == 0 and published.stdout.strip():
            port = published.stdout.split()[0].rsplit(":", 1)[-1]
            return f"{scheme}://{address}:{port}"
    pytest.fail(f"Portainer's container {found[0]} publishes neither 9443 (HTTPS) nor 9000: "
                "run it with -p 9443:9443 so that its UI can be opened from outside.")


@pytest.fixture(scope="module")
def web():
    """HTTP from the host to Portainer, whose certificate is its own self-signed one."""
    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    session = requests.Session()
    session.verify = False
    session.trust_env = False  # no proxy between the host and the lab
    return session


@pytest.mark.req("GUI-1")
def test_portainer_login_page_answers_from_outside(web, portainer_url):
    try:
        page = web.get(f"{portainer_url}/", timeout=60)
    except requests.RequestException as error:
        pytest.fail(f"Portainer's UI at {portainer_url} does not answer from outside ({error}): "
                    "is the port published, and open in the firewall?")
    assert page.status_code == 200 and "portainer" in page.text.lower(), (
        f"{portainer_url}/ answered {page.status_code}, not Portainer's login page: is this "
        "port Portainer's?")


@pytest.mark.req("GUI-1")
def test_portainer_api_reports_its_version(web, portainer_url, settings, on_the_lab,
                                           record_property):
    status = web.get(f"{portainer_url}/api/system/status", timeout=60)
    assert status.status_code == 200 and "Version" in status.json(), (
        f"{portainer_url}/api/system/status answered {status.status_code}: run Portainer CE "
        "2.x (portainer/portainer-ce).")
    version = status.json()["Version"]
    record_property("note", f"Portainer {version} at {portainer_url}")
    if on_the_lab:
        assert version == settings.versions.portainer, (
            f"Portainer {version} runs, not the {settings.versions.portainer} lab.yml pins "
            "(versions.portainer): remove the container and provision again.")


@pytest.fixture(scope="module")
def api(web, portainer_url, on_the_lab, request):
    """Portainer's API as its admin: ``api("GET", "/api/endpoints")``."""
    if on_the_lab:
        password = PORTAINER_PASSWORD_FILE.read_text().strip() \
            if PORTAINER_PASSWORD_FILE.exists() else None
    else:
        password = request.config.getoption("portainer_password")
    if not password:
        pytest.skip("Portainer's admin password is unknown: give it with "
                    "--portainer-password (the lab's is in "
                    f"{PORTAINER_PASSWORD_FILE.relative_to(PORTAINER_PASSWORD_FILE.parents[2])})")
    user = PORTAINER_ADMIN if on_the_lab else request.config.getoption("portainer_user")
    login = web.post(f"{portainer_url}/api/auth", timeout=60,
                     json={"Username": user, "Password": password})
    assert login.status_code == 200, (
        f"Portainer refused {user}'s login ({login.status_code} {login.text[:200]}): give "
        "the user and password it was initialised with (--portainer-user, "
        "--portainer-password).")
    headers = {"Authorization": f"Bearer {login.json()['jwt']}"}

    def call(method, path, **kwargs):
        return web.request(method, f"{portainer_url}{path}", headers=headers, timeout=120,
                           **kwargs)
    return call


def environments_of(environments: list[dict], hosts: set[str]) -> list[dict]:
    """Portainer's environments that are the Docker daemon of one of ``hosts`` (names or
    addresses) over TCP, at any port.

    >>> environments_of([{"URL": "tcp://192.168.56.12:2376"}, {"URL": "unix:///var/run/d.sock"},
    ...                  {"URL": "tcp://10.0.0.9:2376"}], {"192.168.56.12", "node2"})
    [{'URL': 'tcp://192.168.56.12:2376'}]
    """
    return [env for env in environments if str(env.get("URL", "")).startswith("tcp://")
            and env["URL"].removeprefix("tcp://").rsplit(":", 1)[0] in hosts]


@pytest.fixture(scope="module")
def second_host(api, settings, partners, on_the_lab):
    """The environment that is the second host's Docker daemon over TCP (on the lab:
    node2's TCP daemon; elsewhere the inventory's ``partner:``)."""
    listed = api("GET", "/api/endpoints")
    assert listed.status_code == 200, f"GET /api/endpoints answered {listed.status_code}"
    hosts = set(partners)
    if on_the_lab:
        hosts |= {settings.nodes[name].ip for name in partners}
    tcp = environments_of(listed.json(), hosts)
    assert tcp, (
        f"Portainer has no environment for the second host's Docker daemon over TCP "
        f"({' or '.join(sorted(hosts))}; environments: "
        f"{', '.join(env.get('Name', '?') for env in listed.json()) or 'none'}). "
        "Add it: Environments > Add environment > Docker Standalone > API, URL "
        "tcp://NODE2:2376, TLS with the CA, certificate and key.")
    return tcp[0]


@pytest.mark.req("GUI-2")
def test_second_host_is_an_environment_over_mutual_tls(second_host):
    tls = second_host.get("TLSConfig") or {}
    assert tls.get("TLS") and not tls.get("TLSSkipVerify"), (
        f"Portainer reaches {second_host['URL']} without TLS or without checking its "
        "certificate: edit the environment, turn TLS on with the CA, certificate and key.")


@pytest.mark.req("GUI-2")
def test_second_host_is_reported_up(api, second_host):
    refreshed = api("POST", f"/api/endpoints/{second_host['Id']}/snapshot")
    state = api("GET", f"/api/endpoints/{second_host['Id']}").json()
    assert refreshed.status_code == 204 and state.get("Status") == STATUS_UP, (
        f"Portainer reports the environment {second_host['Name']} ({second_host['URL']}) down "
        f"(snapshot: {refreshed.status_code} {refreshed.text[:200]}): is docker-tcp running "
        "on the second host, and are the CA, certificate and key Portainer has the lab's?")


@pytest.mark.req("GUI-2")
def test_a_container_started_through_portainer_runs_on_the_second_host(
        api, second_host, settings, on_the_lab, record_property, request):
    docker_api = f"/api/endpoints/{second_host['Id']}/docker"
    images = [tag for image in api("GET", f"{docker_api}/images/json").json()
              for tag in image.get("RepoTags") or [] if tag != "<none>:<none>"]
    if not images:
        pulled = api("POST", f"{docker_api}/images/create",
                     params={"fromImage": settings.tp_images["alpine"]})
        assert pulled.status_code == 200, (
            f"The second host's daemon has no image and Portainer could not pull "
            f"{settings.tp_images['alpine']} there ({pulled.status_code}).")
        images = [settings.tp_images["alpine"]]
    api("DELETE", f"{docker_api}/containers/{CHECK_CONTAINER}", params={"force": "true"})
    created = api("POST", f"{docker_api}/containers/create", params={"name": CHECK_CONTAINER},
                  json={"Image": images[0], "Cmd": ["sleep", "300"]})
    try:
        assert created.status_code in (200, 201), (
            f"Portainer could not create a container on {second_host['Name']}: "
            f"{created.status_code} {created.text[:200]}")
        started = api("POST", f"{docker_api}/containers/{CHECK_CONTAINER}/start", json={})
        assert started.status_code in (204, 304), (
            f"Portainer could not start {CHECK_CONTAINER} on {second_host['Name']}: "
            f"{started.status_code} {started.text[:200]}")
        if on_the_lab:  # the second host's own `docker ps`, through its TLS socket
            address, port = second_host["URL"].removeprefix("tcp://").rsplit(":", 1)
            client = tcp_client(address, int(port), request.getfixturevalue("client_tls"))
            running = [c.name for c in client.containers.list(filters={"name": CHECK_CONTAINER})]
            assert running == [CHECK_CONTAINER], (
                f"Portainer said it started {CHECK_CONTAINER}, but `docker ps` on "
                f"{second_host['URL']} does not show it: is the environment that host?")
        record_property("note", f"ran {images[0]} on {second_host['URL']} through Portainer")
    finally:
        api("DELETE", f"{docker_api}/containers/{CHECK_CONTAINER}", params={"force": "true"})
