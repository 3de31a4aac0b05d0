"""A second run of a graded compose stack, beside the student's (CMP-6): the TP's stack
"can be duplicated", so the checks that scale it work on a duplicate and never touch
the stack being graded.

    resolved = yaml.safe_load(compose("config").stdout)   # run in a copy of the folder
    yaml.safe_dump(duplicate(resolved, images={"app": "tp15-app:latest"}))
    served(probe_output)   # [(200, "a1b2c3"), (502, None), …]

The duplicate publishes no port on the host (the student's front holds port 80, and
only one stack can), runs the images the student's stack runs instead of building
them again, and lets Compose name its volumes and networks after its own project.
Everything else is kept as written: a ``container_name`` still stops the stack from
being duplicated or scaled, as it should.
"""

import copy
import json

# Projects this suite starts on a graded host; never graded as the student's stack.
PROJECT_PREFIX = "tp15-duplicate"

# Run with the app's Python in a container of the duplicate: waits until front answers
# 200, then until the service name ``app`` resolves to ``replicas`` addresses that each
# accept a connection on the app's port (so that every replica NGINX may pick is
# listening), at most ``timeout`` seconds in all; then prints the status and X-Served-By
# of ``count`` requests to front, as JSON. Nothing waits for NGINX to spread the requests:
# one that resolved `app` once keeps to one replica, which the TP allows.
#   python -c PROBE URL TIMEOUT COUNT REPLICAS SERVICE PORT
PROBE = """
import json, socket, sys, time, urllib.request as request
url, timeout, count = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
replicas, service, port = int(sys.argv[4]), sys.argv[5], int(sys.argv[6])
def get():
    try:
        asked = request.Request(url, headers={"Accept": "application/json"})
        with request.urlopen(asked, timeout=30) as answer:
            return answer.status, answer.headers.get("X-Served-By")
    except Exception as error:
        return getattr(error, "code", None) or f"{type(error).__name__}: {error}", None
def listening():
    try:
        found = {i[4][0] for i in socket.getaddrinfo(service, port, socket.AF_INET,
                                                      socket.SOCK_STREAM)}
    except OSError:
        return 0
    def accepts(address):
        try:
            socket.create_connection((address, port), timeout=3).close()
            return True
        except OSError:
            return False
    return sum(accepts(address) for address in found)
deadline = time.monotonic() + timeout
while get()[0] != 200 and time.monotonic() < deadline:
    time.sleep(3)
while listening() < replicas and time.monotonic() < deadline:
    time.sleep(1)
print(json.dumps([get() for _ in range(count)]))
"""


def duplicate(config: dict, images: dict[str, str]) -> dict:
    """``config`` (as ``docker compose config`` resolves it) made to run beside the
    stack it comes from: no published ports, ``images`` (service -> the image its
    running container uses) instead of ``build``, no fixed volume or network names
    (external ones excepted)::

        duplicate({"services": {"app": {"build": {"context": "/srv/tp"}},
                                "front": {"image": "nginx", "ports": ["80:80"]}}},
                  images={"app": "tp-app"})
        # {"services": {"app": {"image": "tp-app"}, "front": {"image": "nginx"}}}
    """
    copied = copy.deepcopy(config)
    copied.pop("name", None)
    for name, service in (copied.get("services") or {}).items():
        service.pop("ports", None)
        if name in images:
            service.pop("build", None)
            service["image"] = images[name]
    for section in ("volumes", "networks"):
        for declared in (copied.get(section) or {}).values():
            if isinstance(declared, dict) and not declared.get("external"):
                declared.pop("name", None)
    return copied


def compose_error(stderr: str) -> str:
    """What Compose said went wrong, on one line: its first error line (docker-compose's
    ``ERROR: for app  Cannot create container …: Conflict. …``, Compose v2's
    ``Error response from daemon: …``), else the last lines it printed."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.lower().startswith("error")]
    return " ".join(errors[:1] or lines[-2:])[:600]


def served(output: str) -> list[tuple[object, str | None]]:
    """PROBE's output: each request's status (an int, or the error) and the container
    that served it: ``[(200, "a1b2"), ("URLError: refused", None)]``."""
    return [(status, by) for status, by in json.loads(output)]
