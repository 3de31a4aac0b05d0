"""TP section "Docker basics — 2. Basic operations" (OPS-1 … OPS-6), on node1.

    docker run -d alpine sleep 9999
    essayer de lancer un conteneur dont les processus n'appartiendront pas à root
    utiliser -v de docker run pour monter le répertoire /home de l'hôte dans un
    conteneur alpine
    utiliser -v de docker run pour monter la page html d'accueil d'un conteneur
    nginx, et -p pour accéder à cette page d'accueil depuis … votre machine hôte

Each container is left running, as a student leaves theirs for grading. OPS-2
and OPS-4 are one-off commands (an interactive shell, the listings): they need
only Docker and the alpine image; the acceptance suite runs them as the TP
writes them.
"""

from io import StringIO

from pyinfra.operations import files

from lab.settings import Settings
from provision import engine
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


def run_sleeping_alpine(settings: Settings) -> None:
    """OPS-1 — ``docker run -d alpine sleep 9999`` (named, so a re-run finds it)."""
    engine.container(
        name="docker run -d alpine sleep 9999, as tp-sleep (OPS-1)", container="tp-sleep",
        run=f"docker run -d --name tp-sleep --restart unless-stopped "
            f"{settings.tp_images['alpine']} sleep 9999")


def run_alpine_as_non_root(settings: Settings) -> None:
    """OPS-3 — ``docker run -d --user 1000:1000 alpine sleep 9999``: its processes are
    not root's, inside or on the host."""
    engine.container(
        name="docker run -d --user 1000:1000 alpine sleep 9999, as tp-non-root (OPS-3)",
        container="tp-non-root",
        run=f"docker run -d --name tp-non-root --restart unless-stopped --user 1000:1000 "
            f"{settings.tp_images['alpine']} sleep 9999")


def mount_host_home_in_alpine(settings: Settings) -> None:
    """OPS-5 — ``docker run -d -v /home:/host-home alpine sleep 9999``."""
    engine.container(
        name="docker run -d -v /home:/host-home alpine sleep 9999, as tp-home (OPS-5)",
        container="tp-home",
        run=f"docker run -d --name tp-home --restart unless-stopped -v /home:/host-home "
            f"{settings.tp_images['alpine']} sleep 9999")


def serve_home_page_with_nginx(settings: Settings, platform: platforms.Platform) -> None:
    """OPS-6 — ``docker run -d -v /srv/tp15/nginx:/usr/share/nginx/html:ro -p 8080:80 nginx``."""
    files.directory(name=f"Create {PAGE_DIR}", path=PAGE_DIR, mode="755")
    files.put(name=f"Write the home page {PAGE_DIR}/index.html (OPS-6)",
              src=StringIO(HOME_PAGE), dest=f"{PAGE_DIR}/index.html", mode="644")
    engine.container(
        name=f"docker run -d -v {PAGE_DIR}:… -p {settings.ports['nginx']}:80 nginx, "
             "as tp-nginx (OPS-6)",
        container="tp-nginx",
        run=f"docker run -d --name tp-nginx --restart unless-stopped "
            f"-v {PAGE_DIR}:/usr/share/nginx/html:ro -p {settings.ports['nginx']}:80 "
            f"{settings.tp_images['nginx']}")
    platforms.open_port(platform, settings.ports["nginx"], "OPS-6")


def deploy(settings: Settings, platform: platforms.Platform) -> None:
    """The section's steps in the TP's order."""
    run_sleeping_alpine(settings)
    run_alpine_as_non_root(settings)
    mount_host_home_in_alpine(settings)
    serve_home_page_with_nginx(settings, platform)
