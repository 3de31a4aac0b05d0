"""The lab's pyinfra deploy: the TP's sections (the table of lab/sections.py), one call
per section, on each node (node1 is the main Docker host; node2 has the daemons only).
With ``profile: student`` (lab.yml, LAB_PROFILE), none of the TP's sections: only what
the TP takes as given (provision/student.py), for the student to do the rest; with
``--data solve=SECTION`` (``python -m lab.student solve SECTION``), the sections up to
SECTION over the student's work.

Run by ``vagrant up`` / ``vagrant provision`` for one node, or by hand:

    pyinfra --chdir . provision/inventory.py provision/deploy.py --limit node1
    pyinfra --chdir . provision/inventory.py provision/deploy.py --dry   # what would change
    pyinfra --chdir . provision/inventory.py provision/deploy.py --data solve=daemon

Two steps leave the TP's order. node1 boots on cgroup v1 for rkt (2.) before
anything else, since that reboots it (only when the lab has rkt's package, whose stage1
needs it). And what the daemons' configuration names (4. Robust
conf's seccomp profile and thin pool) is made before 1. Basic configuration
writes that configuration, so that Docker's store moves once, before any image
or container is put in it.
"""

import os

from pyinfra import host

from lab.pki import ensure_pki
from lab.sections import SECTIONS, up_to
from lab.settings import DAEMON_JSON, MAIN_NODE, PKI_DIR, Settings, load
from provision import (
    api,
    compose,
    daemon,
    images,
    machines,
    operations,
    platform,
    portainer,
    rkt,
    runc,
    security,
    student,
)


def the_tp(settings: Settings, this: platform.Platform, sections: tuple[str, ...],
           solving: bool = False) -> None:
    """The TP's ``sections`` (lab/sections.py), in its order (but for the two steps the
    docstring above names), each on the nodes the table gives it. ``solving`` (``lab.student
    solve``): over a student's work, whose daemon.json keeps the keys no solved section
    owns."""
    pki = ensure_pki(PKI_DIR, {node.name: node.ip for node in settings.nodes.values()})
    main = host.name == MAIN_NODE
    if main and "rkt" in sections:
        rkt.boot_on_cgroup_v1(this, settings)                  # 2. rkt's host, first: reboots
    if "runc" in sections:
        runc.deploy(this, settings)                            # Low level — 1. runc
    hardened = "security" in sections
    named_by_the_daemons = security.prepare_daemon(settings, this) if hardened else []
    if "daemon" in sections:                                   # 4. Robust conf, for 1.
        daemon.deploy(settings, this, pki, named_by_the_daemons, hardened, solving)
    if "runc" in sections:
        images.deploy(settings, solving)                       # the TP's images
    steps = {                                                  # the main Docker host's
        "runc": lambda: runc.run_bundle(settings),             # 1. runc: the bundle
        "rkt": lambda: rkt.deploy(this, settings),             # Low level — 2. rkt
        "operations": lambda: operations.deploy(settings, this),   # 2. Basic operations
        "api": lambda: api.deploy(this),                       # 3. HTTP API
        "security": lambda: security.deploy(settings),         # 4. Robust conf: docker run
        "compose": lambda: compose.deploy(settings, this),     # 5. Compose
        "gui": lambda: portainer.deploy(settings, this, pki),  # 6. GUI: Portainer
    }
    for section in sections:
        if main and section in steps:
            steps[section]()

    # SELinux (CentOS): what the sections wrote where Docker and systemd read it, labelled
    # as the policy labels that place (absent paths, e.g. node2's /srv/tp15, are skipped).
    platform.restore_labels(this, [
        os.path.dirname(DAEMON_JSON),  # daemon.json, daemon-tcp.json, tls/, …
        daemon.TCP_UNIT,
        "/etc/sysctl.d",                             # SEC-1's user namespaces
        security.LVM_PROFILE,
        compose.COMPOSE_WRAPPER,
        compose.STACK_DIR,
        operations.PAGE_DIR,
    ])


settings = load()
this = platform.current()
machines.name_lab_nodes(settings)                 # both profiles: the machines themselves
solve = host.data.get("solve")                    # `python -m lab.student solve SECTION`
if solve:
    the_tp(settings, this, tuple(section.name for section in up_to(solve)), solving=True)
elif settings.profile == "student":
    student.deploy(settings, this)                # what the TP takes as given, no more
else:
    the_tp(settings, this, tuple(section.name for section in SECTIONS))
