"""The TP's sections, in its order: the one table that the provisioning
(provision/deploy.py), the acceptance suite's choice of nodes, the report's grouping and
``python -m lab.student solve`` read.

Each section's requirement IDs start with its ``prefix`` (lab/requirements.yml), its
provisioning is ``provision/<module>.py`` and its checks ``acceptance/test_<module>.py``;
``everywhere`` sections are provisioned on every node (node2 gets the daemons), the
others on the main node only.

>>> [section.name for section in SECTIONS]
['runc', 'rkt', 'daemon', 'operations', 'api', 'security', 'compose', 'gui']
>>> SECTION["gui"].module, SECTION["daemon"].title
('portainer', 'Docker basics — 1. Basic configuration')
>>> [section.name for section in up_to("daemon")]
['runc', 'rkt', 'daemon']
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    name: str  # the catalogue's `section:` (lab/requirements.yml)
    prefix: str  # of its requirement IDs: RUNC-1 …
    title: str  # the TP's heading
    module: str  # provision/<module>.py, acceptance/test_<module>.py
    everywhere: bool = False  # provisioned on every node, not only on the main one


SECTIONS = (
    Section("runc", "RUNC", "Low level — 1. runc", "runc", everywhere=True),
    Section("rkt", "RKT", "Low level — 2. rkt", "rkt"),
    Section("daemon", "DCFG", "Docker basics — 1. Basic configuration", "daemon",
            everywhere=True),
    Section("operations", "OPS", "Docker basics — 2. Basic operations", "operations"),
    Section("api", "API", "Docker basics — 3. HTTP API", "api"),
    Section("security", "SEC", "Docker basics — 4. Robust conf", "security", everywhere=True),
    Section("compose", "CMP", "Docker basics — 5. Compose", "compose"),
    Section("gui", "GUI", "Docker basics — 6. GUI", "portainer"),
)
SECTION = {section.name: section for section in SECTIONS}


def up_to(name: str) -> tuple[Section, ...]:
    """The sections from the TP's first to ``name``, included; KeyError naming the
    sections when there is no such section."""
    if name not in SECTION:
        raise KeyError(f"no section {name!r}: one of {', '.join(SECTION)}")
    names = list(SECTION)
    return SECTIONS[:names.index(name) + 1]
