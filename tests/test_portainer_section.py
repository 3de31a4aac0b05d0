"""The Portainer section's choices that need no VM: where the image comes from (and what
an offline lab without it says), the admin password made once, the `docker run` and the
API calls built from the settings."""

import dataclasses
import shlex
import stat
import subprocess
import textwrap

import bcrypt
import pytest

from lab.artifacts import Source, portainer_image_source
from lab.settings import load
from provision import portainer
from tests.fake_host import FakeHost, run


def test_the_artifacts_folder_tarball_comes_first(tmp_path, offline):
    (tmp_path / "portainer-ce-2.39.4.tar").write_bytes(b"tar")
    for settings in (offline, load(environ={})):
        source = portainer_image_source(dataclasses.replace(settings, artifacts=tmp_path))
        assert source == Source("file", str(tmp_path / "portainer-ce-2.39.4.tar"))


def test_a_lab_with_docker_hub_pulls_the_pinned_image():
    assert portainer_image_source(load(environ={})) == Source(
        "hub", "portainer/portainer-ce:2.39.4")


@pytest.mark.parametrize("folder", [None, "empty"])
def test_an_offline_lab_without_the_tarball_says_which_file_where_and_how(tmp_path, offline,
                                                                          folder):
    settings = dataclasses.replace(offline, artifacts=tmp_path if folder else None)
    source = portainer_image_source(settings)
    assert source.kind == "none"
    assert "portainer-ce-2.39.4.tar" in source.where
    where = (f"portainer-ce-2.39.4.tar is not in the artifacts folder {tmp_path}" if folder
             else "no artifacts folder is set (artifacts in lab.yml, or LAB_ARTIFACTS) to hold "
             "portainer-ce-2.39.4.tar")
    assert where in source.where
    assert ("docker pull portainer/portainer-ce:2.39.4 && docker save -o portainer-ce-2.39.4.tar "
            "portainer/portainer-ce:2.39.4") in source.where


def test_the_admin_password_is_made_once_for_its_owner_only(tmp_path):
    path = tmp_path / "state" / "portainer-admin-password"
    first = portainer.admin_password(path)
    assert portainer.admin_password(path) == first
    assert len(first) >= 12 and first.isascii() and "'" not in first and '"' not in first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert portainer.admin_password(tmp_path / "other") != first


def test_portainer_gets_a_bcrypt_hash_of_the_password_never_the_password(offline):
    hashed = portainer.password_hash("a-long-password")
    assert bcrypt.checkpw(b"a-long-password", hashed.encode())
    command = portainer.run_command(offline, hashed)
    assert "a-long-password" not in command
    assert shlex.split(command)[-2:] == ["--admin-password", hashed]


def test_the_ui_is_published_on_lab_yml_port_and_portainer_runs_in_the_host_userns(offline):
    settings = dataclasses.replace(offline, ports={**offline.ports, "portainer": 9444})
    words = shlex.split(portainer.run_command(settings, "$2b$12$x"))
    assert "--userns=host" in words and "--restart=always" in words
    assert words[words.index("-p") + 1] == "9444:9443"
    assert "/var/run/docker.sock:/var/run/docker.sock" in words
    assert "portainer_data:/data" in words
    assert "portainer/portainer-ce:2.39.4" in words


def test_node2_is_added_over_mutual_tls_with_the_client_files(offline):
    (local, no_files), (remote, tls) = portainer.environments(offline)
    assert local == {"Name": "node1", "EndpointCreationType": "1"} and no_files == {}
    assert remote == {"Name": "node2", "EndpointCreationType": "1",
                      "URL": "tcp://192.168.56.12:2376", "TLS": "true"}
    assert sorted(tls) == ["TLSCACertFile", "TLSCertFile", "TLSKeyFile"]
    command = portainer.create_environment_command(9443, "/p", remote, tls)
    assert "-F TLSCertFile=@/etc/tp15/portainer/tls/cert.pem" in command
    assert "TLSSkipVerify" not in command  # mutual TLS: every certificate is checked
    assert command.endswith("https://127.0.0.1:9443/api/endpoints; }'")


def test_the_password_reaches_portainer_from_its_file_not_the_command_line():
    command = portainer.logged_in(9443, "/etc/tp15/portainer/admin-password")
    assert '"$(cat /etc/tp15/portainer/admin-password)"' in command
    assert "| curl -sfk -H 'Content-Type: application/json' -d @- " in command


# --- Machines in any order (VirtualBox brings them up one at a time): node2 is added once
# its daemon answers (tests/operations/portainer.environment_added.*.json) ----------------

TLS = dict(zip(portainer.TLS_FIELDS, ("/t/ca.pem", "/t/cert.pem", "/t/key.pem"), strict=True))
NODE2 = {"Name": "node2", "EndpointCreationType": "1", "URL": "tcp://192.168.56.12:2376",
         "TLS": "true"}


def test_the_local_engine_needs_no_answer_from_another_node():
    fake = FakeHost({portainer.Environments: []})
    commands = run(portainer.environment_added, fake, port=9443, password_file="/p",
                   fields={"Name": "node1", "EndpointCreationType": "1"})
    assert len(commands) == 1 and portainer.DaemonAnswers not in fake.read


def test_the_daemon_is_asked_over_mutual_tls_its_ping_only():
    fact = portainer.DaemonAnswers()
    command = fact.command("tcp://192.168.56.12:2376", *TLS.values())
    assert command.startswith("curl -s --max-time 10 --cacert /t/ca.pem --cert /t/cert.pem "
                              "--key /t/key.pem https://192.168.56.12:2376/_ping")
    assert fact.process(["OK"]) is True and fact.process([]) is False


@pytest.mark.parametrize("listed, posted", [('[{"Name":"node1"}]', True),
                                            ('[{"Name":"node1"},{"Name":"node2"}]', False)])
def test_two_provisions_adding_node2_at_once_add_it_once(tmp_path, listed, posted):
    # The real shell of the call, run with stand-ins for curl and flock: node1's provision
    # and node2's (provision/pair.py) may both reach it; the name is checked under the lock.
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    (bin_ / "flock").write_text('#!/bin/sh\nshift\nexec "$@"\n')
    (bin_ / "curl").write_text(textwrap.dedent(f"""\
        #!/bin/sh
        case "$*" in
          *api/auth*) echo '{{"jwt":"token"}}' ;;
          *-F*) echo POST >> {tmp_path}/posted ;;
          *api/endpoints*) echo '{listed}' ;;
        esac
        """))
    for tool in bin_.iterdir():
        tool.chmod(0o755)
    (tmp_path / "password").write_text("secret\n")
    command = portainer.create_environment_command(9443, str(tmp_path / "password"), NODE2, TLS)
    done = subprocess.run(["sh", "-c", command], env={"PATH": f"{bin_}:/usr/bin:/bin"},
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "posted").exists() is posted
