"""The rkt section's choices that need no VM: where the package comes from, which
image `rkt run` fetches, and the kernel argument's command per distribution."""

import dataclasses

import pytest

from lab.settings import load
from provision import artifacts, rkt
from provision.platform import PLATFORMS

DEBIAN, CENTOS = PLATFORMS["debian-12"], PLATFORMS["centos-stream-9"]
def test_the_artifacts_folder_comes_first_with_lab_yml_pin(tmp_path, offline):
    (tmp_path / "rkt_1.29.0-1_amd64.deb").write_bytes(b"deb")
    built = tmp_path / "built"
    built.mkdir()
    (built / "rkt_1.29.0-1_amd64.deb").write_bytes(b"other")
    pinned = dataclasses.replace(offline.rkt, deb_sha256="a" * 64)
    settings = dataclasses.replace(offline, artifacts=tmp_path, rkt=pinned)
    assert artifacts.rkt_package_source(DEBIAN, settings, built) == artifacts.PackageSource(
        "file", str(tmp_path / "rkt_1.29.0-1_amd64.deb"), "a" * 64)


def test_a_package_built_here_is_used_and_never_pinned(tmp_path, offline):
    (tmp_path / "rkt_1.29.0-1_amd64.deb").write_bytes(b"deb")
    pinned = dataclasses.replace(offline.rkt, deb_sha256="a" * 64)
    source = artifacts.rkt_package_source(DEBIAN, dataclasses.replace(offline, rkt=pinned),
                                          tmp_path)
    assert source == artifacts.PackageSource("built", str(tmp_path / "rkt_1.29.0-1_amd64.deb"),
                                             None)


def test_an_offline_lab_without_a_package_says_what_to_do(tmp_path, offline):
    source = artifacts.rkt_package_source(DEBIAN, offline, tmp_path)
    assert source.kind == "none"
    assert "no rkt_1.29.0-1_amd64.deb" in source.where and "rkt/build-package" in source.where


def test_otherwise_the_release_page_with_the_distribution_s_package(tmp_path):
    settings = load(environ={})
    assert artifacts.rkt_package_source(CENTOS, settings, tmp_path) == artifacts.PackageSource(
        "url", "https://github.com/rkt/rkt/releases/download/v1.29.0/rkt-1.29.0-1.x86_64.rpm",
        None)


def test_offline_rkt_fetches_the_lab_s_registry_over_http(offline):
    assert rkt.image_reference(offline) == "docker://127.0.0.1:5050/alpine:latest"
    assert rkt.insecure_options(offline) == "image,http"
    hub = load(environ={})
    assert (rkt.image_reference(hub), rkt.insecure_options(hub)) == ("docker://alpine", "image")


@pytest.mark.parametrize("reference, name", [
    ("docker://alpine", "registry-1.docker.io/library/alpine:latest"),
    ("docker://alpine:3.19", "registry-1.docker.io/library/alpine:3.19"),
    ("docker://quay.io/coreos/etcd", "quay.io/coreos/etcd:latest"),
    ("docker://127.0.0.1:5050/alpine:latest", "127.0.0.1_5050/alpine:latest"),
    ("docker://localhost:5000/tp/alpine", "localhost_5000/tp/alpine:latest"),
])
def test_the_name_rkt_s_store_gives_a_docker_image(reference, name):
    assert rkt.image_name(reference) == name


def test_debian_adds_the_argument_to_grub_once_then_updates_grub(tmp_path):
    import subprocess

    grub = tmp_path / "grub"
    grub.write_text('GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX="console=ttyS0"\n')
    command = DEBIAN.kernel_argument_command(rkt.CGROUP_V1).replace(
        "/etc/default/grub", str(grub)).replace("update-grub", "true")
    for _ in range(2):
        subprocess.run(["sh", "-c", command], check=True)
    assert grub.read_text() == ('GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX="'
                                'systemd.unified_cgroup_hierarchy=0 console=ttyS0"\n')


def test_a_sha256_pin_must_be_one(tmp_path):
    from lab.settings import SettingsError

    lab = tmp_path / "lab.yml"
    from lab.settings import DEFAULT_PATH
    lab.write_text(DEFAULT_PATH.read_text().replace("deb_sha256: null", "deb_sha256: abc"))
    with pytest.raises(SettingsError, match=r"rkt.deb_sha256: 'abc' is not a sha256"):
        load(lab, environ={})
