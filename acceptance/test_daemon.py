"""TP section "Docker basics — 1. Basic configuration" (DCFG-*)."""

import pytest


def unit_state(host, unit: str) -> dict[str, str]:
    """``systemctl show``'s LoadState, ActiveState and UnitFileState of ``unit``.

    (testinfra's Service.exists lists every unit file: seconds under qemu TCG.)
    """
    shown = host.check_output(
        f"systemctl show --property=LoadState,ActiveState,UnitFileState {unit}")
    return dict(line.split("=", 1) for line in shown.splitlines())


@pytest.mark.req("DCFG-1")
@pytest.mark.parametrize("unit", ["docker.socket", "docker.service"])
def test_docker_unit_exists_and_is_active(host, unit):
    state = unit_state(host, unit)
    assert state["LoadState"] == "loaded", (
        f"The systemd unit {unit} does not exist ({state['LoadState']}): Docker Engine is not "
        "installed from its package (docker-ce brings docker.service and docker.socket)."
    )
    assert state["ActiveState"] == "active", (
        f"{unit} is {state['ActiveState']}, not active: `systemctl enable --now {unit}`; "
        f"`systemctl status {unit}` shows why it stopped."
    )
