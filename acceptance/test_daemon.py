"""TP section "Docker basics — 1. Basic configuration" (DCFG-*)."""

import re

import docker
import pytest
import requests

from acceptance.clients import assert_listening, cross_node_fix, tcp_client, tls_ping
from acceptance.dockerd import configured_oom_score
from acceptance.inventory import unreachable_reason
from lab.pki import make_foreign_client
from lab.settings import DAEMON_JSON, DOCKER_DEFAULT_OOM_SCORE_ADJUST, PKI_DIR


@pytest.mark.req("DCFG-1")
@pytest.mark.parametrize("unit", ["docker.socket", "docker.service"])
def test_docker_unit_exists_and_is_active(host, unit):
    # LoadState, not Service.exists: that lists every unit file, seconds under qemu TCG;
    # systemd_properties is the one `systemctl show UNIT`.
    state = host.service(unit).systemd_properties
    assert state["LoadState"] == "loaded", (
        f"The systemd unit {unit} does not exist ({state['LoadState']}): Docker Engine is not "
        "installed from its package (docker-ce brings docker.service and docker.socket)."
    )
    assert state["ActiveState"] == "active", (
        f"{unit} is {state['ActiveState']}, not active: `systemctl enable --now {unit}`; "
        f"`systemctl status {unit}` shows why it stopped."
    )


@pytest.mark.req("DCFG-2")
def test_docker_socket_is_root_docker_660(host):
    socket = host.file("/var/run/docker.sock")
    assert socket.is_socket, "/var/run/docker.sock is missing: start docker.socket."
    found = (socket.user, socket.group, oct(socket.mode))
    assert found == ("root", "docker", "0o660"), (
        f"/var/run/docker.sock is {found}, not root:docker 0660: docker.socket sets it "
        "(SocketUser/SocketGroup/SocketMode); don't override them."
    )


@pytest.mark.req("DCFG-2")
def test_docker_group_member_uses_docker_without_sudo(host, docker_users):
    for user in docker_users:
        run = host.run(f"runuser -u {user} -- docker ps -q")
        assert run.rc == 0, (
            f"{user} cannot use docker without sudo ({run.stderr.strip()}): "
            f"`usermod -aG docker {user}` and log in again."
        )


@pytest.mark.req("DCFG-2")
def test_user_outside_docker_group_is_refused(host):
    run = host.run("runuser -u nobody -- docker ps -q")
    assert run.rc != 0 and "permission denied" in run.stderr.lower(), (
        "A user outside group docker can use the daemon: /var/run/docker.sock must be "
        f"root:docker 0660 (got rc={run.rc}, {run.stderr.strip()!r})."
    )


@pytest.mark.req("DCFG-3")
def test_docker_root_dir_is_data(docker_info, settings):
    root = docker_info["DockerRootDir"]
    wanted = settings.daemon.data_root
    # With userns-remap (SEC-2) Docker works in a subfolder, /data/UID.GID.
    assert re.fullmatch(re.escape(wanted) + r"(/\d+\.\d+)?", root), (
        f"Docker Root Dir is {root}, not {wanted}: set \"data-root\": \"{wanted}\" in "
        "/etc/docker/daemon.json and restart docker."
    )


@pytest.mark.req("DCFG-3")
def test_data_is_its_own_lvm_volume(host, settings):
    mount = settings.daemon.data_root
    mounted = host.mount_point(mount)
    assert mounted.exists, (
        f"Nothing is mounted on {mount}: make an LVM logical volume (pvcreate, vgcreate, "
        f"lvcreate, mkfs), mount it on {mount} and add it to /etc/fstab."
    )
    source = mounted.device
    # lsblk, not host.block_device: that knows sizes and partitions, not LVM volumes.
    kind = host.check_output("lsblk -no TYPE %s", source)
    assert kind == "lvm", f"{mount} is mounted from {source}, a {kind}, not an LVM volume."
    fstab = host.file("/etc/fstab").content_string
    assert any(line.split()[1:2] == [mount] for line in fstab.splitlines()
               if line.strip() and not line.startswith("#")), (
        f"{mount} is not in /etc/fstab: it would not come back after a reboot."
    )


@pytest.mark.req("DCFG-4")
def test_daemon_oom_score_is_lowered(host, daemon_json):
    unit = host.service("docker.service").systemd_properties
    pid = unit.get("MainPID", "0")
    assert pid != "0", ("dockerd is not running (docker.service has no main process): "
                        "`systemctl start docker`; `journalctl -u docker` says why it stopped.")
    score = int(host.file(f"/proc/{pid}/oom_score_adj").content_string)
    command_line = host.file(f"/proc/{pid}/cmdline").content_string.replace("\0", " ")
    configured = configured_oom_score(daemon_json, unit, command_line)
    assert configured, (
        f"dockerd's OOM score ({score}) is set nowhere dockerd reads at start: set "
        f"\"oom-score-adjust\" in {DAEMON_JSON}, or --oom-score-adjust on its command line "
        "(ExecStart in a drop-in, `systemctl edit docker`), or OOMScoreAdjust= in "
        "docker.service, then restart docker.")
    value, where = configured
    assert score == value, (
        f"dockerd (pid {pid}) has oom_score_adj {score}, not the {value} of {where}: restart "
        "docker (`systemctl daemon-reload && systemctl restart docker`). Some dockerd "
        "versions set their own score at start, over the unit's OOMScoreAdjust=: then set "
        "it in daemon.json or as a flag.")
    assert score < DOCKER_DEFAULT_OOM_SCORE_ADJUST, (
        f"oom_score_adj {score} is not below {DOCKER_DEFAULT_OOM_SCORE_ADJUST}, the score "
        "docker-ce's unit gives dockerd: the kernel would not spare the daemon first."
    )


# What the TP's sections configure in the daemon (1. Basic configuration, 4. Robust conf):
# a daemon.json with none of them (empty, or only a registry mirror) is not the TP's.
TP_DAEMON_SETTINGS = {"data-root", "oom-score-adjust", "userns-remap", "seccomp-profile",
                      "storage-driver", "storage-opts"}


@pytest.mark.req("DCFG-5")
def test_daemon_json_is_valid_and_not_contradicted_by_execstart(host, daemon_json, docker_info):
    # daemon_json has already failed, saying where, if the file is not JSON; docker_info,
    # if no daemon runs (with it).
    assert host.file(DAEMON_JSON).exists, f"{DAEMON_JSON} is missing: configure dockerd there."
    assert set(daemon_json) & TP_DAEMON_SETTINGS, (
        f"{DAEMON_JSON} sets none of the daemon settings the TP asks for "
        f"({', '.join(sorted(TP_DAEMON_SETTINGS))}): they belong there.")
    execstart = host.service("docker.service").systemd_properties.get("ExecStart", "")
    both = [key for key in daemon_json if f"--{key}" in execstart]
    assert not both, (
        f"{both} are set in daemon.json and as flags in docker.service's ExecStart: dockerd "
        "refuses to start; keep them in daemon.json only (systemctl edit docker.service)."
    )


@pytest.mark.req("DCFG-6")
def test_tcp_daemon_is_enabled_and_active(host):
    state = host.service("docker-tcp.service").systemd_properties
    assert state["LoadState"] == "loaded", (
        "docker-tcp.service does not exist: write /etc/systemd/system/docker-tcp.service.")
    assert state.get("UnitFileState") == "enabled", (
        "docker-tcp.service is not enabled: `systemctl enable docker-tcp`.")
    assert state["ActiveState"] == "active", (
        "docker-tcp.service is not active: `journalctl -u docker-tcp` says why.")


@pytest.mark.req("DCFG-6")
def test_tcp_daemon_answers_a_client_of_its_ca_from_outside(address, settings, client_tls,
                                                              docker_info):
    assert_listening(address, settings.daemon.tcp_port)
    try:
        info = tcp_client(address, settings.daemon.tcp_port, client_tls).info()
    except (docker.errors.DockerException, requests.RequestException) as error:
        pytest.fail(f"A client with {client_tls.cert} (signed by {client_tls.ca}) cannot use "
                    f"the daemon on {address}:{settings.daemon.tcp_port}: {error}. Give "
                    "dockerd --tlsverify --tlscacert=CA --tlscert --tlskey, its certificate "
                    "signed by that CA with the host's name and address in subjectAltName.")
    main_root = docker_info["DockerRootDir"]
    # (Not the engine ID: both daemons derive it from the same /etc/docker/key.json.)
    assert info["DockerRootDir"] != main_root, (
        f"The daemon on {address}:{settings.daemon.tcp_port} is the main one (same data root "
        f"{main_root}): docker-tcp.service must run its own dockerd with its own data root, "
        "exec root, pidfile and bridge (--config-file)."
    )


@pytest.mark.req("DCFG-6")
@pytest.mark.parametrize("who", ["no certificate", "a certificate from another CA"])
def test_tcp_daemon_refuses_clients_the_lab_ca_did_not_sign(address, settings, who):
    assert_listening(address, settings.daemon.tcp_port)
    foreign = None if who == "no certificate" else make_foreign_client(PKI_DIR)
    try:
        said = tls_ping(address, settings.daemon.tcp_port,
                        foreign and tuple(str(path) for path in foreign))
    except OSError as error:
        pytest.fail(f"{address}:{settings.daemon.tcp_port} does not speak TLS to a client "
                    f"with {who} ({error}): run dockerd there with --tlsverify, --tlscacert, "
                    "--tlscert and --tlskey.")
    assert said.startswith("refused"), (
        f"The daemon on {address}:{settings.daemon.tcp_port} {said} to a client with {who}: "
        "run it with --tlsverify and --tlscacert set to your own CA."
    )


@pytest.mark.req("DCFG-6")
def test_tcp_daemon_answers_the_other_hosts_docker_cli(host, daemon_clients, settings):
    port = settings.daemon.tcp_port
    for client, other, address in daemon_clients:
        error = cli_reaches_daemon(other, address, port)
        assert error is None, (
            f"From {client}, `docker --tlsverify -H tcp://{address}:{port} info` failed for "
            f"every member of group docker and root: {error}. "
            + cross_node_fix(error, address, port))


# How long the other host's docker CLI may take to answer (it runs under qemu TCG here).
CLI_SECONDS = 30


def cli_reaches_daemon(client, address: str, port: int) -> str | None:
    """None when a docker user of ``client`` (a member of group docker, else root) reaches
    the TLS daemon on ``address``:``port`` with their own ~/.docker; else the first
    error."""
    group = client.group("docker")
    errors = []
    for user in [*(group.members if group.exists else []), "root"]:
        try:
            run = client.run(f"timeout {CLI_SECONDS} runuser -u {user} -- docker --tlsverify "
                             f"-H tcp://{address}:{port} info --format '{{{{.Name}}}}'")
        except Exception as error:  # noqa: BLE001 — whatever paramiko or the socket raised
            return f"its docker CLI could not be run ({unreachable_reason(error)})"
        if run.rc == 0:
            return None
        timed_out = f"timeout: no answer in {CLI_SECONDS} s"
        errors.append(run.stderr.strip() or (timed_out if run.rc == 124 else f"exit {run.rc}"))
    return errors[0]
