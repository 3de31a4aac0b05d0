"""Shared by the unit tier (tests/) and the acceptance suite (acceptance/).

Every acceptance test names the TP requirement(s) it proves:

    @pytest.mark.req("RUNC-3")
    def test_docker_uses_runc(host): ...

The IDs are those of lab/requirements.yml; they reach the JUnit XML as a
``requirement`` property of each test case (beside its ``host``, which
acceptance/conftest.py records), and the report reads them there.
"""


# The unit tier runs lab/'s and provision/'s docstring examples (--doctest-modules):
# these two are pyinfra's entry points and run on import (settings, the lab's PKI,
# a pyinfra state).
collect_ignore = ["provision/deploy.py", "provision/inventory.py", "provision/pair.py"]


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "req(*ids): the TP requirement(s) the test proves (lab/requirements.yml)"
    )
    config.addinivalue_line(
        "markers", "nodes(*names): run only on these nodes (node1 is the main Docker host): "
        "on the lab, the nodes themselves; elsewhere, the hosts whose role plays them "
        "(--inventory, --role); a host without a role runs everything. Without it: node1, "
        "and node2 too for a requirement the catalogue asks of the second host (second)")
    config.addinivalue_line(
        "markers", "lab: checks the lab's own choices in lab.yml, which the TP leaves open "
        "(e.g. dm.basesize): run on the lab only, not when grading other hosts")


def pytest_collection_modifyitems(items):
    for item in items:
        for marker in item.iter_markers("req"):
            for requirement in marker.args:
                item.user_properties.append(("requirement", requirement))
