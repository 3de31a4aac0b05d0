"""TP section "Docker basics — 2. Basic operations" (OPS-*), on node1.

What the TP leaves behind is graded by what it is (acceptance/containers.py), as the
student left it: a detached alpine that sleeps, running or since exited (OPS-1), a
container whose processes are not root's (OPS-3), an alpine with the host's /home
mounted (OPS-5), nginx serving a page mounted with -v, the page itself or its folder
(OPS-6). The one-off commands (OPS-2's shell, OPS-4's listings) are run as the TP
writes them and clean up after themselves.
"""

import urllib.request

import pytest

from acceptance.containers import (
    LABELLED,
    check_run,
    command,
    containers,
    detached,
    from_image,
    mounted_pages,
    mounts,
    name,
    runs_as_non_root,
)


@pytest.mark.req("OPS-1")
def test_a_detached_alpine_sleeps(host):
    """Running, or exited since: `sleep 9999` ends after 2 h 47 min, the work stays."""
    sleeping = [c for c in containers(host, stopped=True) if from_image(c, "alpine")
                and "sleep" in command(c).split() and detached(c)]
    assert sleeping, (
        "No alpine container started detached runs `sleep` (running or exited): `docker run "
        "-d alpine sleep 9999` (without --rm, which leaves nothing once it ends)."
    )


@pytest.mark.req("OPS-2")
def test_interactive_alpine_shell_answers_on_stdin(host):
    run = check_run(host, f"echo 'echo inside-$((6*7)); exit' | docker run -i --rm {LABELLED} "
                    "alpine sh")
    assert run.rc == 0 and "inside-42" in run.stdout, (
        f"`docker run -i alpine sh` did not run the commands given on stdin: {run.stderr.strip()}"
    )


@pytest.mark.req("OPS-2")
def test_interactive_alpine_shell_gets_a_terminal(host):
    # script(1) gives docker the pseudo-terminal `docker run -it` wants.
    run = check_run(host, f"script -qec \"docker run -it --rm {LABELLED} alpine sh -c 'tty'\" "
                    "/dev/null")
    assert run.rc == 0 and "/dev/pts/" in run.stdout, (
        f"`docker run -it alpine sh` got no terminal inside (tty said {run.stdout.strip()!r}): "
        f"{run.stderr.strip()}"
    )


@pytest.mark.req("OPS-3")
def test_a_container_runs_processes_that_do_not_belong_to_root(host):
    non_root = [c for c in containers(host) if runs_as_non_root(c)]
    assert non_root, (
        "No running container starts its processes as a user other than root: "
        "`docker run -d --user 1000:1000 alpine sleep 9999` (and leave it running)."
    )
    found = non_root[0]
    inside = host.check_output(f"docker exec {found['Id']} id -u")
    outside = host.process.get(pid=found["State"]["Pid"]).uid
    assert inside != "0" and outside != 0, (
        f"{name(found)} runs with --user {found['Config']['User']}, but its process is uid "
        f"{inside} inside and {outside} on the host (`ps -o user,pid`): both must not be 0."
    )


@pytest.mark.req("OPS-4")
@pytest.mark.parametrize("command", ["docker ps", "docker container ls", "docker images",
                                     "docker image ls", "docker network ls", "docker volume ls",
                                     "docker stats --no-stream"])
def test_listing_commands_work(host, command):
    run = host.run(command)
    assert run.rc == 0, f"`{command}` failed: {run.stderr.strip()}"


@pytest.mark.req("OPS-5")
def test_an_alpine_container_sees_the_host_home(host):
    with_home = [c for c in containers(host, stopped=True)
                 if from_image(c, "alpine") and "/home" in mounts(c).values()]
    assert with_home, (
        "No alpine container has the host's /home mounted: "
        "`docker run -d -v /home:/host-home alpine sleep 9999`."
    )
    running = [c for c in with_home if c["State"]["Running"]]
    if not running:  # the mount is in its configuration; nothing runs to look through it
        return
    found = running[0]
    target = next(inside for inside, source in mounts(found).items() if source == "/home")
    probe = host.check_output("mktemp /home/tp15-probe.XXXXXX")
    try:
        host.run_expect([0], f"echo tp15-home-probe > {probe} && chmod 644 {probe}")
        seen = host.run(f"docker exec {found['Id']} cat {target}/{probe.rsplit('/', 1)[1]}")
        assert seen.stdout.strip() == "tp15-home-probe", (
            f"A file created in the host's /home is not visible in {name(found)} under "
            f"{target}: {seen.stderr.strip() or seen.stdout!r}"
        )
    finally:
        host.run(f"rm -f {probe}")


def published_ports(container: dict) -> list[str]:
    """The host ports a container's ports are published on (``-p``)."""
    ports = container["NetworkSettings"].get("Ports") or {}
    return sorted({binding["HostPort"] for bindings in ports.values() if bindings
                   for binding in bindings})


@pytest.mark.req("OPS-6")
def test_nginx_serves_the_mounted_page_from_outside(host, address):
    serving = [c for c in containers(host) if from_image(c, "nginx")
               and mounted_pages(c) and published_ports(c)]
    assert serving, (
        "No running nginx container has a page mounted with -v (the page itself or its folder) "
        "and a port published with -p: `docker run -d -v PAGE_DIR:/usr/share/nginx/html -p "
        "8080:80 nginx`."
    )
    tried = []
    for nginx in serving:
        for path, source in mounted_pages(nginx).items():
            page = host.file(source)
            if not page.is_file:
                tried.append(f"{name(nginx)}: {source} is not a file on the host")
                continue
            for port in published_ports(nginx):
                url = f"http://{address}:{port}{path}"
                try:
                    with urllib.request.urlopen(url, timeout=20) as response:
                        answer = response.read().decode()
                except OSError as error:
                    answer = f"no answer ({error})"
                if answer == page.content_string:
                    return
                tried.append(f"{url} (from this machine) does not serve {source}: "
                             f"{answer[:80]!r}")
    pytest.fail(f"No mounted page is served from outside: {'; '.join(tried)}. Check -p and "
                "-v, and the VM's firewall.")
