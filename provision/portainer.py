"""TP section "6. GUI ?" (main node): Portainer CE drives node1's engine and node2's.

    Déployer Portainer (ça se trouve sur github !)
    créer un deuxième hôte Docker (deuxième VM) et le piloter depuis Portainer (socket TCP)

    docker volume create portainer_data
    docker run -d --name portainer --restart=always --userns=host -p 9443:9443 \\
        -v /var/run/docker.sock:/var/run/docker.sock -v portainer_data:/data \\
        portainer/portainer-ce:2.39.4 --admin-password '$2b$12$…'
    curl -k -H "Authorization: Bearer $JWT" https://127.0.0.1:9443/api/endpoints \\
        -F Name=node2 -F EndpointCreationType=1 -F URL=tcp://192.168.56.12:2376 -F TLS=true \\
        -F TLSCACertFile=@ca.pem -F TLSCertFile=@cert.pem -F TLSKeyFile=@key.pem

Requirements: GUI-1 (Portainer runs, its UI answers from outside), GUI-2 (node2's TCP
daemon, DCFG-6, is one of its environments, over mutual TLS with the lab's client
certificate). Portainer drives the Docker socket: it runs in the host's user namespace
(``--userns=host``), beside the daemon's remapping (SEC-2); its data is the named volume
``portainer_data``, under the daemon's data root.

The admin password is generated once on the host (``portainer-admin-password`` in the
lab's state folder, beside the PKI) and given to Portainer as a bcrypt hash when its
container is made: no five-minute "new instance" window, no setup token.

Where the image comes from (``lab.artifacts.portainer_image_source``), first found:
``docker save``'s tarball in the artifacts folder, else Docker Hub (``images: hub``); an
offline lab without the tarball skips the section, saying so in one line (the acceptance
suite then reports GUI-1 and GUI-2 as SKIP with the same reason).
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
from io import StringIO
from pathlib import Path

import bcrypt
from pyinfra import host, logger
from pyinfra.api import FactBase, operation
from pyinfra.operations import files

from lab.artifacts import Source, portainer_image, portainer_image_source
from lab.pki import Pki
from lab.settings import (
    MAIN_NODE,
    PORTAINER_ADMIN,
    PORTAINER_HTTPS_PORT,
    PORTAINER_PASSWORD_FILE,
    Settings,
)
from provision import artifacts, engine
from provision import platform as platforms

CONTAINER = "portainer"
VOLUME = "portainer_data"
CONFIG_DIR = "/etc/tp15/portainer"  # on the node: the password and node2's client files
PASSWORD_FILE = f"{CONFIG_DIR}/admin-password"
LOCK = "/run/tp15-portainer.lock"  # held while an environment is added
TLS_FIELDS = ("TLSCACertFile", "TLSCertFile", "TLSKeyFile")  # the client files, in that order


# --- The admin password ----------------------------------------------------------------

def admin_password(path: Path = PORTAINER_PASSWORD_FILE) -> str:
    """The admin's password: made once (readable by its owner only), then read.

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "password"
    >>> admin_password(path) == admin_password(path), len(admin_password(path)) >= 12
    (True, True)
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        made = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(made, "w", encoding="ascii") as file:
            file.write(secrets.token_urlsafe(18) + "\n")  # 24 characters; Portainer wants 12
    return path.read_text(encoding="ascii").strip()


def password_hash(password: str) -> str:
    """What ``--admin-password`` takes: a bcrypt hash (Portainer makes the user admin)."""
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()


def run_command(settings: Settings, password_hash: str) -> str:
    """The ``docker run`` of Portainer: the socket (node1's engine), the named volume
    (its data), the host's user namespace, the UI on ``ports.portainer``.

    >>> from lab.settings import load
    >>> print(run_command(load(environ={}), "$2b$12$abc"))
    docker run -d --name portainer --restart=always --userns=host -p 9443:9443
        -v /var/run/docker.sock:/var/run/docker.sock -v portainer_data:/data
        portainer/portainer-ce:2.39.4 --admin-password '$2b$12$abc'
    """
    return (f"docker run -d --name {CONTAINER} --restart=always --userns=host "
            f"-p {settings.ports['portainer']}:{PORTAINER_HTTPS_PORT} "
            f"-v /var/run/docker.sock:/var/run/docker.sock -v {VOLUME}:/data "
            f"{portainer_image(settings)} --admin-password {shlex.quote(password_hash)}")


# --- Talking to Portainer's API from the node ------------------------------------------

def logged_in(port: int, password_file: str) -> str:
    """Shell: waits for Portainer (minutes after a start under emulation), then puts an
    admin token in ``$jwt``; the password is read from ``password_file`` on the node,
    never written on a command line."""
    base = f"https://127.0.0.1:{port}"
    return (f"curl -sfk -o /dev/null --retry 60 --retry-delay 2 --retry-all-errors "
            f"{base}/api/system/status && "
            f"jwt=$(printf '{{\"Username\":\"{PORTAINER_ADMIN}\",\"Password\":\"%s\"}}' "
            f"\"$(cat {password_file})\" | curl -sfk -H 'Content-Type: application/json' "
            f"-d @- {base}/api/auth | sed -n 's/.*\"jwt\":\"\\([^\"]*\\)\".*/\\1/p') && "
            f"test -n \"$jwt\"")


class Environments(FactBase):
    """Portainer's environments, as its API lists them (``Name``, ``URL``, ``Status``…),
    seen from the node, on its published ``port``.

        host.get_fact(Environments, 9443, "/etc/tp15/portainer/admin-password")
        # -> [{'Id': 1, 'Name': 'node1', 'URL': 'unix:///var/run/docker.sock', 'Status': 1}]
    """

    @staticmethod
    def default() -> list:
        return []

    def command(self, port: int, password_file: str) -> str:
        return (f"{logged_in(port, password_file)} && curl -sfk -H \"Authorization: Bearer $jwt\" "
                f"https://127.0.0.1:{port}/api/endpoints")

    def requires_command(self, port: int, password_file: str) -> str:
        return "curl"

    def process(self, output) -> list[dict]:
        return json.loads("".join(output) or "[]")


def create_environment_command(port: int, password_file: str, fields: dict[str, str],
                               files_: dict[str, str]) -> str:
    """``POST /api/endpoints`` (multipart): the environment's ``fields`` and TLS ``files_``,
    unless Portainer has one of that name by then. Under a lock on the node: node1's
    provision and the one of the node that completes the pair may both add it.

    >>> print(create_environment_command(9443, "/p", {"Name": "node2"}, {"TLSCACertFile": "/c"}))
    flock /run/tp15-portainer.lock sh -c 'curl -sfk ... grep -qF ...node2... || curl -sfk
        -o /dev/null -H "Authorization: Bearer $jwt" -F Name=node2 -F TLSCACertFile=@/c
        https://127.0.0.1:9443/api/endpoints; }'
    """
    form = " ".join([*(f"-F {shlex.quote(f'{k}={v}')}" for k, v in fields.items()),
                     *(f"-F {shlex.quote(f'{k}=@{v}')}" for k, v in files_.items())])
    endpoints = f"https://127.0.0.1:{port}/api/endpoints"
    named = '"Name":"{}"'.format(fields["Name"])
    known = (f"curl -sfk -H \"Authorization: Bearer $jwt\" {endpoints} | "
             f"grep -qF {shlex.quote(named)}")
    create = f"curl -sfk -o /dev/null -H \"Authorization: Bearer $jwt\" {form} {endpoints}"
    script = f"{logged_in(port, password_file)} && {{ {known} || {create}; }}"
    return f"flock {LOCK} sh -c {shlex.quote(script)}"


class DaemonAnswers(FactBase):
    """Whether the Docker daemon on ``url`` (``tcp://IP:PORT``, TLS) answers its ``/_ping``
    to a client with the files ``ca``, ``cert``, ``key``, seen from the node.

        host.get_fact(DaemonAnswers, "tcp://192.168.56.12:2376", ca, cert, key)   # -> True
    """

    def command(self, url: str, ca: str, cert: str, key: str) -> str:
        return (f"curl -s --max-time 10 --cacert {ca} --cert {cert} --key {key} "
                f"{url.replace('tcp://', 'https://', 1)}/_ping || true")

    def requires_command(self, url: str, ca: str, cert: str, key: str) -> str:
        return "curl"

    def process(self, output) -> bool:
        return "".join(output).strip() == "OK"


@operation()
def environment_added(port: int, password_file: str, fields: dict[str, str],
                      files_: dict[str, str] | None = None):
    """GUI-2 — an environment named ``fields["Name"]`` in Portainer, unless it has one
    with that name already. A remote one (``fields["URL"]``) only once its daemon answers:
    Portainer refuses an environment it cannot reach, and the other node may not be up yet
    (VirtualBox brings machines up one at a time); its own provision adds it then
    (provision/pair.py)."""
    names = {environment.get("Name") for environment in
             host.get_fact(Environments, port, password_file)}
    name, files_ = fields["Name"], files_ or {}
    if name in names:
        host.noop(f"Portainer has the environment {name}")
    elif "URL" in fields and not host.get_fact(
            DaemonAnswers, fields["URL"], *(files_[f] for f in TLS_FIELDS)):
        host.noop(f"{name}'s TCP daemon ({fields['URL']}) does not answer yet: {name}'s "
                  "provision adds it to Portainer once it runs")
    else:
        yield create_environment_command(port, password_file, fields, files_)


@operation()
def image_loaded(reference: str, tarball: str):
    """``docker load -i TARBALL`` when the engine lacks ``reference``."""
    if host.get_fact(engine.ImageIds, reference):
        host.noop(f"{reference} is present")
    else:
        yield f"docker load -i {tarball}"


# --- The section -----------------------------------------------------------------------

def environments(settings: Settings) -> list[tuple[dict[str, str], dict[str, str]]]:
    """What Portainer manages: node1's engine through the socket, and node2's TCP daemon
    over mutual TLS with the client files in CONFIG_DIR/tls (form fields, files).

    >>> from lab.settings import load
    >>> [fields for fields, _ in environments(load(environ={}))]
    [{'Name': 'node1', 'EndpointCreationType': '1'}, {'Name': 'node2', 'EndpointCreationType': '1',
        'URL': 'tcp://192.168.56.12:2376', 'TLS': 'true'}]
    """
    local = ({"Name": MAIN_NODE, "EndpointCreationType": "1"}, {})
    remote = [({"Name": node.name, "EndpointCreationType": "1",
                "URL": f"tcp://{node.ip}:{settings.daemon.tcp_port}", "TLS": "true"},
               dict(zip(TLS_FIELDS, (f"{CONFIG_DIR}/tls/{file}"
                                     for file in ("ca.pem", "cert.pem", "key.pem")), strict=True)))
              for node in settings.nodes.values() if node.name != MAIN_NODE]
    return [local, *remote]


def have_image(settings: Settings, source: Source) -> None:
    """``docker pull`` (images: hub), or ``docker load`` of the artifacts folder's tarball,
    its sha256 checked against ``portainer.sha256`` or printed to pin there."""
    if source.kind == "hub":
        engine.image_pulled(name=f"docker pull {source.where} (GUI-1)", reference=source.where)
        return
    dest = f"{artifacts.CACHE}/{Path(source.where).name}"
    files.put(name=f"Copy {source.where} to the node (GUI-1)", src=source.where, dest=dest,
              mode="600", create_remote_dir=True)
    artifacts.sha256_checked(name=f"Check {Path(dest).name}'s sha256 (GUI-1)", path=dest,
                             pinned=settings.portainer.sha256, setting="portainer.sha256")
    image_loaded(name=f"docker load -i {dest} (GUI-1)", reference=portainer_image(settings),
                 tarball=dest)


def deploy(settings: Settings, platform: platforms.Platform, pki: Pki) -> None:
    """The section on the main node; skipped, saying so, without Portainer's image."""
    source = portainer_image_source(settings)
    if source.kind == "none":
        logger.warning(f"{host.print_prefix}Portainer (GUI-1, GUI-2): not deployed, "
                       f"{source.where}.")
        return
    have_image(settings, source)
    password = admin_password()
    files.directory(name=f"Create {CONFIG_DIR}/tls", path=f"{CONFIG_DIR}/tls", mode="700")
    files.put(name=f"Portainer's admin password in {PASSWORD_FILE} (for the provisioner's "
              "API calls)", src=StringIO(password + "\n"), dest=PASSWORD_FILE, mode="600")
    for src, dest in ((pki.ca, "ca.pem"), (pki.client_cert, "cert.pem"),
                      (pki.client_key, "key.pem")):
        files.put(name=f"The lab's client certificate for node2: {CONFIG_DIR}/tls/{dest} (GUI-2)",
                  src=str(src), dest=f"{CONFIG_DIR}/tls/{dest}", mode="600")
    port = settings.ports["portainer"]
    platforms.open_port(platform, port, "GUI-1")
    engine.container(name=f"docker run … {portainer_image(settings)} on port {port} (GUI-1)",
                     container=CONTAINER, run=run_command(settings, password_hash(password)))
    manage_environments(settings)


def manage_environments(settings: Settings) -> None:
    """GUI-2: Portainer (on the main node) manages its own engine and each other node's TCP
    daemon that answers. From node1's provision, and from the provision of whichever node
    completes the pair (provision/pair.py)."""
    port = settings.ports["portainer"]
    for fields, tls in environments(settings):
        environment_added(name=f"Portainer manages {fields['Name']} (GUI-2)", port=port,
                          password_file=PASSWORD_FILE, fields=fields, files_=tls)
