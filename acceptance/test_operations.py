"""TP section "Docker basics — 2. Basic operations" (OPS-*), on node1.

Each test runs the TP's own command and cleans up after itself.
"""

import urllib.request

import pytest

from lab.settings import MAIN_NODE

pytestmark = pytest.mark.nodes(MAIN_NODE)


@pytest.mark.req("OPS-1")
def test_detached_alpine_sleep_runs(host, container):
    cid = container("alpine sleep 9999")
    state = host.docker(cid).inspect()["State"]["Status"]
    assert state == "running", (
        f"`docker run -d alpine sleep 9999` gave a container that is {state}: "
        f"`docker logs {cid[:12]}` says why."
    )


@pytest.mark.req("OPS-2")
def test_interactive_alpine_shell_answers_on_stdin(host):
    run = host.run("echo 'echo inside-$((6*7)); exit' | docker run -i --rm alpine sh")
    assert run.rc == 0 and "inside-42" in run.stdout, (
        f"`docker run -i alpine sh` did not run the commands given on stdin: {run.stderr.strip()}"
    )


@pytest.mark.req("OPS-2")
def test_interactive_alpine_shell_gets_a_terminal(host):
    # script(1) gives docker the pseudo-terminal `docker run -it` wants.
    run = host.run("script -qec \"docker run -it --rm alpine sh -c 'tty'\" /dev/null")
    assert run.rc == 0 and "/dev/pts/" in run.stdout, (
        f"`docker run -it alpine sh` got no terminal inside (tty said {run.stdout.strip()!r}): "
        f"{run.stderr.strip()}"
    )


@pytest.mark.req("OPS-3")
def test_container_processes_do_not_belong_to_root(host, container):
    cid = container("--user 1000:1000 alpine sleep 9999")
    inside = host.check_output(f"docker exec {cid} id -u")
    outside = host.process.get(pid=host.docker(cid).inspect()["State"]["Pid"]).uid
    assert inside != "0" and outside != 0, (
        f"With --user 1000:1000 the process is uid {inside} inside and {outside} on the host: "
        "both must differ from 0 (root)."
    )


@pytest.mark.req("OPS-4")
@pytest.mark.parametrize("command", ["docker ps", "docker container ls", "docker images",
                                     "docker image ls", "docker network ls", "docker volume ls",
                                     "docker stats --no-stream"])
def test_listing_commands_work(host, command):
    run = host.run(command)
    assert run.rc == 0, f"`{command}` failed: {run.stderr.strip()}"


@pytest.mark.req("OPS-5")
def test_host_home_is_visible_in_alpine_with_v(host):
    probe = host.check_output("mktemp /home/tp15-probe.XXXXXX")
    try:
        host.run_expect([0], f"echo tp15-home-probe > {probe} && chmod 644 {probe}")
        name = probe.rsplit("/", 1)[1]
        run = host.run(f"docker run --rm -v /home:/host-home alpine cat /host-home/{name}")
        assert run.stdout.strip() == "tp15-home-probe", (
            f"A file created in the host's /home is not visible through "
            f"`docker run -v /home:/host-home alpine`: {run.stderr.strip() or run.stdout!r}"
        )
    finally:
        host.run(f"rm -f {probe}")


@pytest.mark.req("OPS-6")
def test_nginx_serves_the_mounted_page_from_outside(host, address, settings):
    published = host.docker.get_containers(publish=str(settings.ports["nginx"]),
                                            status="running")
    assert published, (
        f"No container publishes port {settings.ports['nginx']}: "
        f"`docker run -d -v PAGE_DIR:/usr/share/nginx/html -p {settings.ports['nginx']}:80 nginx`."
    )
    nginx = published[0].inspect()
    mounts = {mount["Destination"]: mount["Source"] for mount in nginx["Mounts"]}
    source = mounts.get("/usr/share/nginx/html")
    assert source, (f"Container {nginx['Name'].lstrip('/')} has no -v mount on "
                    f"/usr/share/nginx/html ({mounts}).")
    page = host.file(f"{source}/index.html").content_string
    url = f"http://{address}:{settings.ports['nginx']}/"
    with urllib.request.urlopen(url, timeout=20) as response:
        served = response.read().decode()
    assert served == page, (
        f"{url} from the host machine does not serve {source}/index.html: check -p and -v."
    )
