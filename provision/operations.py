"""TP section "Docker basics — 2. Basic operations" (OPS-1 … OPS-6), on node1.

    docker run -d alpine sleep 9999
    utiliser -v de docker run pour monter la page html d'accueil d'un conteneur
    nginx, et -p pour accéder à cette page d'accueil depuis … votre machine hôte

OPS-2 … OPS-5 are one-off commands (an interactive shell, a non-root
container, the listings, -v /home): they need only Docker and the alpine
image; the acceptance suite runs them as the TP writes them.
"""

from io import StringIO

from pyinfra import host
from pyinfra.facts.server import Command
from pyinfra.operations import files, server

from lab.settings import Settings
from provision import platform as platforms

PAGE_DIR = "/srv/tp15/nginx"
HOME_PAGE = """\
<!doctype html>
<html lang="fr">
<head><meta charset="utf-8"><title>TP 1.5 - nginx</title></head>
<body>
<h1>TP 1.5 : page d'accueil montée avec -v, publiée avec -p</h1>
<p>Served by the tp-nginx container from the host's /srv/tp15/nginx.</p>
</body>
</html>
"""


def container_state(name: str) -> str:
    """``running``, ``exited``… of container ``name``, or '' when there is none."""
    return host.get_fact(
        Command, f"docker inspect --format '{{{{.State.Status}}}}' {name} 2>/dev/null || true")


def run_container(name: str, command: str, requirement: str, store_moved: bool) -> None:
    """``docker run -d --name NAME …`` once; ``docker start NAME`` if it stopped.

    ``store_moved``: this run moves Docker's store (daemon.json), so the
    containers seen now will be gone after the restart.
    """
    state = "" if store_moved else container_state(name)
    if state == "running":
        host.noop(f"container {name} is running")
    elif state:
        server.shell(name=f"docker start {name} ({requirement})", commands=[f"docker start {name}"])
    else:
        server.shell(name=f"{command} ({requirement})", commands=[command])


def run_sleeping_alpine(store_moved: bool) -> None:
    """OPS-1 — ``docker run -d alpine sleep 9999`` (named, so a re-run finds it)."""
    run_container("tp-sleep", "docker run -d --name tp-sleep --restart unless-stopped "
                  "alpine sleep 9999", "OPS-1", store_moved)


def serve_home_page_with_nginx(settings: Settings, store_moved: bool) -> None:
    """OPS-6 — ``docker run -d -v /srv/tp15/nginx:/usr/share/nginx/html:ro -p 8080:80 nginx``."""
    files.directory(name=f"Create {PAGE_DIR}", path=PAGE_DIR, mode="755")
    files.put(name=f"Write the home page {PAGE_DIR}/index.html (OPS-6)",
              src=StringIO(HOME_PAGE), dest=f"{PAGE_DIR}/index.html", mode="644")
    run_container(
        "tp-nginx",
        f"docker run -d --name tp-nginx --restart unless-stopped "
        f"-v {PAGE_DIR}:/usr/share/nginx/html:ro -p {settings.ports['nginx']}:80 "
        f"{settings.tp_images['nginx']}",
        "OPS-6",
        store_moved,
    )
    platforms.open_port(platforms.current(), settings.ports["nginx"], "OPS-6")


def deploy(settings: Settings, store_moved: bool) -> None:
    run_sleeping_alpine(store_moved)
    serve_home_page_with_nginx(settings, store_moved)
