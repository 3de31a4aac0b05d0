"""TP section "5. Compose" (CMP-1 … CMP-6), on node1.

    installer docker-compose en suivant la doc officielle
    packager le code python fourni (créer une image) … rédiger un Dockerfile
    créer un docker-compose.yml qui contient : un conteneur Redis, un conteneur
    avec l'app Python packagée … un reverse proxy NGINX

The stack is the repository's app/ folder — the app, its Dockerfile,
docker-compose.yml and nginx/default.conf — copied to /srv/tp15/compose with an
.env that names the TP's images, then built and started there with the
command a student types in that folder. The acceptance suite tries CMP-6's
``--scale app=3`` on a duplicate of the stack it starts beside this one.
"""

from io import StringIO

from pyinfra.api.exceptions import DeployError
from pyinfra.operations import files

from lab.settings import REPO, Settings
from provision import engine
from provision import platform as platforms

APP_DIR = REPO / "app"
STACK_DIR = "/srv/tp15/compose"
SERVICES = ("db", "app", "front")

# Docker's documentation installs Compose as a plugin of the docker CLI; the TP
# (and many a tutorial) types `docker-compose`, which this makes the same program.
COMPOSE_WRAPPER = "/usr/local/bin/docker-compose"
COMPOSE_WRAPPER_TEXT = """\
#!/bin/sh
# TP 1.5, CMP-1: `docker-compose` is Compose v2, Docker's plugin (`docker compose`).
exec docker compose "$@"
"""


def compose_command(settings: Settings) -> str:
    """``docker compose`` (Docker's plugin) or, beside the distribution's engine,
    the distribution's ``docker-compose``.

        >>> from lab.settings import load
        >>> compose_command(load(environ={}))        # lab.yml's engine: docker-ce
        'docker compose'
    """
    return "docker-compose" if settings.engine == "distribution" else "docker compose"


def env_file(settings: Settings) -> str:
    """The stack's .env: the images by the names lab.yml gives them, front's port.

        >>> from lab.settings import load
        >>> print(env_file(load(environ={})), end="")
        REDIS_IMAGE=redis:latest
        NGINX_IMAGE=nginx:latest
        PYTHON_IMAGE=python:3.11-slim
        FRONT_PORT=80
    """
    values = {
        "REDIS_IMAGE": settings.tp_images["redis"],
        "NGINX_IMAGE": settings.tp_images["nginx"],
        "PYTHON_IMAGE": settings.tp_images["python"],
        "FRONT_PORT": settings.ports["front"],
    }
    return "".join(f"{name}={value}\n" for name, value in values.items())


def left_on_the_host(settings: Settings) -> tuple[list[str], list[str]]:
    """The files and folders of app/ that files.sync neither uploads nor deletes
    (fnmatch patterns on paths): the host's tools and caches, a developer's own
    .env (the node's is written from lab.yml), and the wheels unless the lab is
    offline (online, pip in the build takes the packages from PyPI, as the TP does)."""
    excluded = ["*/.env", "*/fetch-wheels"]
    if settings.images != "offline":
        excluded.append("*.whl")
    return excluded, ["tests", "__pycache__", "*/__pycache__", ".pytest_cache"]


def install_compose(platform: platforms.Platform, settings: Settings) -> None:
    """CMP-1 — Docker's way: ``dnf install docker-compose-plugin`` from Docker's
    repository (pinned), and ``docker-compose`` as another name for it; offline,
    ``apt install docker-compose``, the distribution's."""
    platforms.install_packages(platform, platform.compose_packages(settings),
                               name="Install Compose (CMP-1)")
    if settings.engine == "docker-ce":
        files.put(name=f"Write {COMPOSE_WRAPPER}, which runs `docker compose` (CMP-1)",
                  src=StringIO(COMPOSE_WRAPPER_TEXT), dest=COMPOSE_WRAPPER, mode="755")


def copy_stack(settings: Settings) -> list:
    """CMP-2, CMP-3, CMP-6 — the stack's own folder: app/ as in the repository, and its
    .env. Returns the operations, which change when the stack must be built again."""
    if settings.images == "offline" and not any((APP_DIR / "wheels").glob("*.whl")):
        raise DeployError(
            f"images: offline, but {APP_DIR / 'wheels'} has no wheels for the app's image "
            "(node1 cannot reach PyPI): run `app/fetch-wheels` on this host first.")
    excluded, excluded_dirs = left_on_the_host(settings)
    # World-readable: with userns-remap (SEC-2) the containers' users, root
    # included, are unprivileged uids on the host, and nginx reads its
    # bind-mounted configuration as one of them.
    folder = files.sync(name=f"Copy app/ to {STACK_DIR} (CMP-2, CMP-3, CMP-6)",
                        src=str(APP_DIR), dest=STACK_DIR, mode="644", dir_mode="755",
                        delete=True, exclude=excluded, exclude_dir=excluded_dirs)
    env = files.put(name=f"Write {STACK_DIR}/.env: the TP's images, front's port (CMP-3)",
                    src=StringIO(env_file(settings)), dest=f"{STACK_DIR}/.env", mode="644")
    return [folder, env]


def start_stack(settings: Settings, copied: list) -> None:
    """CMP-2 … CMP-6 — ``docker compose up -d --build`` in the stack's folder: builds
    the app's image from its Dockerfile, then starts db, app and front; again only
    when the folder changed (``copied``) or a service is not running."""
    command = f"{compose_command(settings)} up -d --build"
    engine.compose_up(name=f"cd {STACK_DIR} && {command} (CMP-2 … CMP-6)", workdir=STACK_DIR,
                      command=command, services=list(SERVICES), after=copied)


def deploy(settings: Settings, platform: platforms.Platform) -> None:
    """The section's steps in the TP's order."""
    install_compose(platform, settings)
    start_stack(settings, copy_stack(settings))
    platforms.open_port(platform, settings.ports["front"], "CMP-5")
