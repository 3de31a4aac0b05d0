"""The rkt section's choices that need no VM: where the package comes from, which
image `rkt run` fetches, and the kernel argument's command per distribution."""

import dataclasses

import pytest

from lab.artifacts import Source, rkt_package
from lab.registry import RKT_INSECURE, rkt_alpine
from lab.settings import load
from provision import rkt
from provision.platform import PLATFORMS

DEBIAN, CENTOS = PLATFORMS["debian-12"], PLATFORMS["centos-stream-9"]
def test_the_artifacts_folder_s_official_package_with_lab_yml_pin(tmp_path, offline):
    (tmp_path / "rkt_1.29.0-1_amd64.deb").write_bytes(b"deb")
    pinned = dataclasses.replace(offline.rkt, deb_sha256="a" * 64)
    settings = dataclasses.replace(offline, artifacts=tmp_path, rkt=pinned)
    assert rkt_package(settings) == Source(
        "file", str(tmp_path / "rkt_1.29.0-1_amd64.deb"), "a" * 64)


def test_an_offline_lab_without_the_package_names_the_file_and_where_to_put_it(tmp_path,
                                                                                offline):
    for settings, folder in ((offline, "no artifacts folder is set (artifacts in lab.yml, or "
                              "LAB_ARTIFACTS)"),
                             (dataclasses.replace(offline, artifacts=tmp_path),
                              f"not in the artifacts folder {tmp_path}")):
        source = rkt_package(settings)
        assert source.kind == "none" and source.pinned is None
        assert "rkt_1.29.0-1_amd64.deb" in source.where and folder in source.where
        assert ("https://github.com/rkt/rkt/releases/download/v1.29.0/rkt_1.29.0-1_amd64.deb"
                in source.where)
        assert "put it in the artifacts folder, then `vagrant provision node1`" in source.where


def test_otherwise_the_release_page_with_the_distribution_s_package():
    settings = load(environ={})
    assert rkt_package(settings) == Source(
        "url", "https://github.com/rkt/rkt/releases/download/v1.29.0/rkt-1.29.0-1.x86_64.rpm",
        None)


def test_nothing_in_the_project_builds_rkt():
    import subprocess

    from lab.settings import REPO

    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True,
                             check=True).stdout.split()
    assert not [path for path in tracked if path.startswith("rkt/")
                or "build-package" in path]


# --- RKT-5: the boot on cgroup v1, exactly when the package's stage1 needs it ------------

def test_the_switch_is_planned_exactly_when_the_installed_stage1_needs_it(tmp_path, offline):
    assert not rkt.boots_on_cgroup_v1(offline)          # no package: nothing to boot
    (tmp_path / "rkt_1.29.0-1_amd64.deb").write_bytes(b"deb")
    with_package = dataclasses.replace(offline, artifacts=tmp_path)
    assert rkt.stage1_to_install(with_package) == "coreos"
    assert rkt.boots_on_cgroup_v1(with_package)
    assert rkt.boots_on_cgroup_v1(load(environ={}))       # the release page's package


@pytest.mark.parametrize("stage1, needs", [("coreos", True), ("kvm", True), ("host", False),
                                           ("fly", False)])
def test_which_stage1_flavors_need_cgroup_v1(stage1, needs):
    assert (stage1 in rkt.CGROUP_V1_STAGE1S) is needs


# --- RKT-3: one image path, the registry on the node -------------------------------------

def test_rkt_fetches_from_the_node_s_registry_over_http_whatever_images_says(offline):
    hub = load(environ={})
    assert rkt_alpine(offline) == "docker://127.0.0.1:5050/alpine:latest"
    assert rkt_alpine(hub) == "docker://127.0.0.1:5050/alpine:latest"
    assert RKT_INSECURE == "image,http"


def test_on_an_offline_student_lab_rkt_fetches_from_the_registry_the_student_has():
    student = load(environ={"LAB_PROFILE": "student", "LAB_IMAGES": "offline",
                            "LAB_ENGINE": "distribution", "LAB_DISTRIBUTION": "debian-12"})
    assert rkt_alpine(student) == "docker://192.168.56.11:5050/library/alpine:latest"


def test_the_registry_is_filled_from_docker_hub_or_offline_from_the_stand_in(offline):
    assert rkt.alpine_source(load(environ={})) == "docker://docker.io/library/alpine:latest"
    assert rkt.alpine_source(offline) == "docker-daemon:alpine:latest"


def test_the_registry_is_debian_s_package_or_docker_s_image_on_centos():
    assert DEBIAN.registry_package == "docker-registry"
    assert CENTOS.registry_package is None
    from provision import registry
    assert registry.registry_image(load(environ={})) == "registry:2.8.3"


def test_an_offline_centos_lab_is_refused_by_the_settings(tmp_path):
    from lab.settings import DEFAULT_PATH, SettingsError

    with pytest.raises(SettingsError, match=r"LAB_IMAGES='offline' \(environment\): images is "
                       r"only available on debian-12 .*; set LAB_IMAGES=hub, or choose "
                       r"distribution debian-12"):
        load(environ={"LAB_IMAGES": "offline"})
    lab = tmp_path / "lab.yml"
    lab.write_text(DEFAULT_PATH.read_text().replace("images: hub ", "images: offline"))
    with pytest.raises(SettingsError, match=r"images: 'offline' is only available on debian-12"):
        load(lab, environ={})


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


def test_on_centos_the_release_stage1_boots_on_cgroup_v1_and_selinux_stays_enforcing():
    # lab.yml's defaults: CentOS Stream 9, rkt's rpm from its release page. The rpm's
    # default stage1 (coreos) needs cgroup v1: grubby adds the argument; its pods run in
    # the contexts of lxc_contexts, which container-selinux defines.
    settings = load(environ={})
    assert settings.distribution == "centos-stream-9"
    assert rkt.stage1_to_install(settings) == "coreos" and rkt.boots_on_cgroup_v1(settings)
    assert CENTOS.kernel_argument_command(rkt.CGROUP_V1).startswith("grubby --update-kernel=ALL")
    assert CENTOS.rkt_packages == ("container-selinux",) and CENTOS.selinux
    assert DEBIAN.rkt_packages == ()
