"""acceptance/containers.py and SEC-6's option table: a student's containers are found by
what `docker inspect` shows of them (image, command, options), whatever their names."""

import json
from types import SimpleNamespace

import pytest

from acceptance.containers import (
    HARDENING,
    check_run,
    command,
    containers,
    from_image,
    mounts,
    runs_as_non_root,
)


def inspected(image="alpine", user="", cmd=("sleep", "9999"), entrypoint=None, mounted=(),
              **host_config) -> dict:
    """The part of `docker inspect CONTAINER` the checks read."""
    return {"Name": "/student-box", "Config": {"Image": image, "User": user, "Cmd": list(cmd),
                                                "Entrypoint": entrypoint},
            "Mounts": [{"Type": kind, "Source": source, "Destination": target}
                       for kind, source, target in mounted],
            "HostConfig": host_config}


@pytest.mark.parametrize("image", ["alpine", "alpine:3.20", "docker.io/library/alpine:latest",
                                   "127.0.0.1:5050/alpine", "alpine@sha256:" + "0" * 64])
def test_an_alpine_is_known_however_its_image_is_written(image):
    assert from_image(inspected(image), "alpine")


@pytest.mark.parametrize("image", ["alpine-extra", "python:3.11-slim", "me/notalpine:1"])
def test_another_image_is_not_alpine(image):
    assert not from_image(inspected(image), "alpine")


def test_the_command_includes_the_entrypoint():
    assert command(inspected(cmd=["9999"], entrypoint=["sleep"])) == "sleep 9999"


@pytest.mark.parametrize("user, non_root", [("", False), ("0", False), ("root", False),
                                            ("0:0", False), ("root:wheel", False),
                                            ("1000", True), ("1000:1000", True),
                                            ("nobody", True)])
def test_a_non_root_user_is_one_that_is_not_uid_0(user, non_root):
    assert runs_as_non_root(inspected(user=user)) is non_root


def test_only_bind_mounts_are_mounts_from_the_host():
    container = inspected(mounted=[("bind", "/home", "/srv/home"),
                                   ("volume", "/data/volumes/x/_data", "/data")])
    assert mounts(container) == {"/srv/home": "/home"}


def test_a_container_run_with_every_tp_option_has_each_of_them():
    container = inspected(user="1000:1000", ReadonlyRootfs=True, CapDrop=["all"],
                          SecurityOpt=["no-new-privileges:true"], PidsLimit=100,
                          Memory=128 * 2**20)
    assert {option: has(container) for option, has in HARDENING.items()} == dict.fromkeys(
        HARDENING, True)


def test_dockers_defaults_have_none_of_the_tp_options():
    # What `docker run -d alpine sleep 9999` shows on Engine 20.10 to 27.
    container = inspected(ReadonlyRootfs=False, CapDrop=None, SecurityOpt=None, PidsLimit=None,
                          Memory=0)
    assert not any(has(container) for has in HARDENING.values())


def test_no_new_privileges_set_to_false_is_not_the_option():
    assert not HARDENING["--security-opt no-new-privileges"](
        inspected(SecurityOpt=["no-new-privileges=false"]))


def answering(**outputs):
    """A host whose `run` gives, per command's first two words, (rc, stdout, stderr)."""
    def run(command, *args):
        rc, stdout, stderr = outputs[" ".join(command.split()[:2])]
        return SimpleNamespace(rc=rc, stdout=stdout, stderr=stderr, command=command.encode())
    return SimpleNamespace(run=run)


def test_a_host_without_docker_is_told_so():
    host = answering(**{"docker ps": (127, "", "sudo: docker: command not found")})
    with pytest.raises(AssertionError, match="`docker ps` failed .*command not found.*is "
                       "Docker Engine installed and its daemon running"):
        containers(host)


def test_a_container_removed_between_ps_and_inspect_is_left_out():
    host = answering(**{"docker ps": (0, "a1\nb2\n", ""),
                        "docker inspect": (1, json.dumps([inspected()]), "No such object: b2")})
    assert [c["Name"] for c in containers(host)] == ["/student-box"]


# Recorded on a student's node1 whose thin pool was full (devicemapper, Docker 20.10.24).
FULL_POOL = ("docker: Error response from daemon: devmapper: Thin Pool has 0 free data blocks "
             "which is less than minimum required 1166 free data blocks. Create more free "
             "space in thin pool or use dm.min_free_space option to change behavior.\n"
             "See 'docker run --help'.\n")


def test_a_check_whose_own_container_docker_refuses_says_the_daemon_s_reason():
    with pytest.raises(pytest.fail.Exception) as failed:
        check_run(answering(**{"docker run": (125, "", FULL_POOL)}), "docker run --rm alpine true")
    said = str(failed.value)
    assert said.startswith("Docker refused to start the check's own container, so the check "
                           "could not run: Error response from daemon: devmapper: Thin Pool "
                           "has 0 free data blocks")
    assert said.endswith("Fix that first, then grade again.")


def test_a_check_s_own_container_otherwise_gives_its_result_or_its_output():
    refused = answering(**{"docker run": (1, "", "unshare: not permitted")})
    assert check_run(refused, "docker run alpine unshare -U true").rc == 1
    started = answering(**{"docker run": (0, "abc123\n", "")})
    assert check_run(started, "docker run -d alpine sleep 9", output=True) == "abc123"
    with pytest.raises(AssertionError, match="failed \\(exit 1\\)"):
        check_run(refused, "docker run alpine true", output=True)
