"""lab/settings.py: the repository's lab.yml loads, and every broken one says what to fix."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lab.settings import NOTHING_STARTED, REPO, Disk, Settings, SettingsError, load

LAB_YML = REPO / "lab.yml"


def broken(tmp_path: Path, change) -> Path:
    """A copy of the repository's lab.yml in tmp_path, changed by `change(data)`."""
    data = yaml.safe_load(LAB_YML.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "lab.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def problems(path: Path, environ: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        load(path, environ={} if environ is None else environ)
    assert str(caught.value) == "\n".join(caught.value.problems)
    return caught.value.problems


def only_problem(path: Path, environ: dict[str, str] | None = None) -> str:
    found = problems(path, environ)
    assert len(found) == 1, "expected one problem, got:\n" + "\n".join(found)
    return found[0]


def test_repository_lab_yml_loads():
    settings = load(LAB_YML, environ={})
    assert isinstance(settings, Settings)
    assert settings.distribution in ("centos-stream-9", "debian-12")
    assert list(settings.nodes) == ["node1", "node2"]
    assert set(settings.nodes["node1"].disks) == {"data", "thinpool"}
    assert set(settings.nodes["node2"].disks) == {"data"}
    assert int(settings.versions.docker.split(".")[0]) <= 24
    assert settings.box
    assert settings.artifacts is None


def test_settings_are_frozen():
    settings = load(LAB_YML, environ={})
    with pytest.raises(AttributeError):
        settings.provider = "virtualbox"


def test_to_dict_is_json_and_gives_the_vagrantfile_what_it_needs():
    settings = load(LAB_YML, environ={})
    data = json.loads(json.dumps(settings.to_dict()))
    # The default box is pinned: Vagrant gets its name and version apart.
    assert (data["box"], data["box_version"]) == ("generic/centos9s", "4.3.12")
    assert data["provider"] == settings.provider
    assert data["libvirt"]["driver"] == settings.libvirt_driver
    assert data["network"]["name"] == settings.network.name
    assert data["network"]["prefix"] == settings.network.prefix
    node1 = data["nodes"]["node1"]
    assert node1["ip"] == settings.nodes["node1"].ip
    assert [d["name"] for d in node1["disks"]] == ["data", "thinpool"]
    for disk in node1["disks"]:
        assert set(disk) == {"name", "size", "gib", "bytes"}


def test_disk_sizes_in_bytes_and_whole_gib_rounded_up():
    assert Disk("data", "4G", 4 * 1024**3).gib == 4
    assert Disk("data", "1536M", 1536 * 1024**2).gib == 2


def test_sizes_in_megabytes_are_read(tmp_path):
    def change(data):
        data["nodes"]["node2"]["disks"]["data"] = "1536M"

    disk = load(broken(tmp_path, change), environ={}).nodes["node2"].disks["data"]
    assert (disk.size, disk.bytes, disk.gib) == ("1536M", 1536 * 1024**2, 2)


def test_environment_overrides_apply(tmp_path):
    (tmp_path / "artifacts").mkdir()
    path = broken(tmp_path, lambda data: None)
    settings = load(path, environ={
        "LAB_DISTRIBUTION": "debian-12",
        "LAB_PROVIDER": "virtualbox",
        "LAB_ENGINE": "distribution",
        "LAB_IMAGES": "offline",
        "LAB_ARTIFACTS": "artifacts",
        "LAB_LIBVIRT_DRIVER": "qemu",
    })
    assert settings.distribution == "debian-12"
    assert settings.provider == "virtualbox"
    assert settings.engine == "distribution"
    assert settings.images == "offline"
    assert settings.artifacts == (tmp_path / "artifacts").resolve()
    assert settings.libvirt_driver == "qemu"
    assert settings.box == "debian/bookworm64"


def test_lab_box_wins_and_empty_variables_count_as_unset():
    settings = load(LAB_YML, environ={"LAB_BOX": "my/box", "LAB_PROVIDER": ""})
    assert settings.box == "my/box"
    assert settings.provider == load(LAB_YML, environ={}).provider


def test_other_variables_are_ignored():
    assert load(LAB_YML, environ={"LAB_NODE1_IP": "10.0.0.1"}) == load(LAB_YML, environ={})


def test_unknown_key_suggests_the_close_one(tmp_path):
    def change(data):
        data["nodes"]["node1"]["cpu"] = data["nodes"]["node1"].pop("cpus")

    problem = only_problem(broken(tmp_path, change))
    assert "nodes.node1.cpu: unknown key; did you mean 'cpus'?" in problem


def test_unknown_top_level_key(tmp_path):
    problem = only_problem(broken(tmp_path, lambda data: data.update(provder="libvirt")))
    assert "provder: unknown key; did you mean 'provider'?" in problem


def test_wrong_type(tmp_path):
    def change(data):
        data["nodes"]["node1"]["cpus"] = "two"

    problem = only_problem(broken(tmp_path, change))
    assert "nodes.node1.cpus: 'two' is not a whole number of CPUs" in problem


def test_a_bool_is_not_a_count(tmp_path):
    def change(data):
        data["nodes"]["node2"]["cpus"] = True

    assert "nodes.node2.cpus: True" in only_problem(broken(tmp_path, change))


def test_bad_ip(tmp_path):
    def change(data):
        data["nodes"]["node1"]["ip"] = "192.168.56.300"

    problem = only_problem(broken(tmp_path, change))
    assert problem.endswith(
        "lab.yml: nodes.node1.ip: '192.168.56.300' is not an IPv4 address; "
        "use e.g. 192.168.56.11"
    )


def test_ip_outside_the_network(tmp_path):
    def change(data):
        data["nodes"]["node2"]["ip"] = "192.168.57.12"

    problem = only_problem(broken(tmp_path, change))
    assert "nodes.node2.ip: '192.168.57.12' is not in node1's network 192.168.56.0/24" in problem
    assert "e.g. 192.168.56.12" in problem


def test_duplicate_ips(tmp_path):
    def change(data):
        data["nodes"]["node2"]["ip"] = data["nodes"]["node1"]["ip"]

    problem = only_problem(broken(tmp_path, change))
    assert "nodes.node2.ip: '192.168.56.11' is also node1's address" in problem


@pytest.mark.parametrize("ip, words", [
    ("192.168.56.1", "the .1 of 192.168.56.0/24"),
    ("192.168.56.0", "the address of the network"),
    ("192.168.56.255", "the broadcast address"),
])
def test_reserved_addresses(tmp_path, ip, words):
    def change(data):
        data["nodes"]["node1"]["ip"] = ip

    assert words in only_problem(broken(tmp_path, change))


def test_bad_size(tmp_path):
    def change(data):
        data["nodes"]["node1"]["disks"]["data"] = "4GB"

    problem = only_problem(broken(tmp_path, change))
    assert "nodes.node1.disks.data: '4GB' is not a size" in problem
    assert "4G or 512M" in problem


def test_thinpool_too_small(tmp_path):
    def change(data):
        data["nodes"]["node1"]["disks"]["thinpool"] = "1536M"

    problem = only_problem(broken(tmp_path, change))
    assert "nodes.node1.disks.thinpool: '1536M' is too small" in problem
    assert "2G" in problem


def test_missing_thinpool(tmp_path):
    def change(data):
        del data["nodes"]["node1"]["disks"]["thinpool"]

    assert "nodes.node1.disks.thinpool: missing" in only_problem(broken(tmp_path, change))


def test_unsupported_distribution(tmp_path):
    problem = only_problem(broken(tmp_path, lambda data: data.update(distribution="centos-7")))
    assert "distribution: 'centos-7' is not one of centos-stream-9, debian-12" in problem


def test_unsupported_provider_from_the_environment():
    problem = only_problem(LAB_YML, environ={"LAB_PROVIDER": "vbox"})
    assert problem.startswith("LAB_PROVIDER='vbox' (environment): provider is not one of")
    assert "libvirt, virtualbox" in problem


def test_engine_distribution_is_refused_on_centos(tmp_path):
    def change(data):
        data.update(distribution="centos-stream-9", engine="distribution")

    problem = only_problem(broken(tmp_path, change))
    assert "engine: 'distribution' is only available on debian-12" in problem
    assert "use docker-ce" in problem


def test_docker_25_is_refused(tmp_path):
    def change(data):
        data["versions"]["docker"] = "25.0.0"

    problem = only_problem(broken(tmp_path, change))
    assert "versions.docker: '25.0.0'" in problem
    assert "removed the devicemapper" in problem


def test_containerd_2_is_refused(tmp_path):
    path = broken(tmp_path, lambda d: d["versions"].update(containerd="2.1.4"))
    problem = only_problem(path)
    assert "versions.containerd: '2.1.4' is containerd 2 or later" in problem
    assert 'e.g. "1.6.28"' in problem


def test_containerd_and_buildx_are_pinned_like_the_engine(tmp_path):
    settings = load(LAB_YML, environ={})
    assert (settings.versions.containerd, settings.versions.buildx) == ("1.6.28", "0.12.1")
    assert settings.to_dict()["versions"]["containerd"] == "1.6.28"
    path = broken(tmp_path, lambda d: d["versions"].update(buildx="v0.12"))
    assert "versions.buildx: 'v0.12' does not look like X.Y.Z" in only_problem(path)
    path = broken(tmp_path, lambda d: d["versions"].pop("containerd"))
    assert 'versions.containerd: missing; add `containerd: "1.6.28"`' in only_problem(path)


def test_float_version_must_be_quoted(tmp_path):
    def change(data):
        data["versions"]["docker"] = 24.0

    problem = only_problem(broken(tmp_path, change))
    assert "versions.docker: 24.0 is a number, not a string" in problem
    assert "quote it" in problem


def test_missing_node2(tmp_path):
    def change(data):
        del data["nodes"]["node2"]

    assert "nodes.node2: missing" in only_problem(broken(tmp_path, change))


def test_a_third_node_is_unknown(tmp_path):
    def change(data):
        data["nodes"]["node3"] = dict(data["nodes"]["node2"], ip="192.168.56.13")

    assert "nodes.node3: unknown key" in only_problem(broken(tmp_path, change))


def test_missing_box_for_the_chosen_provider(tmp_path):
    def change(data):
        del data["boxes"]["centos-stream-9"]["virtualbox"]

    path = broken(tmp_path, change)
    problem = only_problem(path, environ={"LAB_PROVIDER": "virtualbox"})
    assert "boxes.centos-stream-9.virtualbox: missing" in problem
    assert "LAB_BOX" in problem
    assert load(path, environ={"LAB_PROVIDER": "virtualbox", "LAB_BOX": "x/y"}).box == "x/y"


def test_artifacts_folder_missing(tmp_path):
    problem = only_problem(broken(tmp_path, lambda data: data.update(artifacts="missing")))
    assert "artifacts: 'missing' is not an existing folder" in problem
    assert str(tmp_path / "missing") in problem


def test_artifacts_folder_missing_from_the_environment():
    problem = only_problem(LAB_YML, environ={"LAB_ARTIFACTS": "/no/such/folder"})
    assert problem.startswith("LAB_ARTIFACTS='/no/such/folder' (environment): artifacts")


def test_not_yaml_at_all(tmp_path):
    path = tmp_path / "lab.yml"
    path.write_text("nodes: [node1\n  cpus: : 2\n", encoding="utf-8")
    problem = only_problem(path)
    assert "is not valid YAML at line" in problem


def test_a_key_given_twice(tmp_path):
    path = tmp_path / "lab.yml"
    path.write_text(LAB_YML.read_text(encoding="utf-8") + "provider: virtualbox\n",
                    encoding="utf-8")
    problem = only_problem(path)
    assert "is not valid YAML at line" in problem
    assert "the key 'provider' appears twice" in problem


def test_not_a_mapping(tmp_path):
    path = tmp_path / "lab.yml"
    path.write_text("- node1\n- node2\n", encoding="utf-8")
    assert "is not a mapping of settings" in only_problem(path)


def test_missing_file(tmp_path):
    assert "not found" in only_problem(tmp_path / "lab.yml")


def test_every_problem_is_listed_at_once(tmp_path):
    def change(data):
        data["provider"] = "vmware"
        data["network"]["prefix"] = 31
        data["nodes"]["node2"]["memory"] = 512

    found = problems(broken(tmp_path, change))
    assert len(found) == 3
    assert [p.split(": ")[1] for p in found] == ["provider", "network.prefix",
                                                 "nodes.node2.memory"]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LAB_")}
    return subprocess.run([sys.executable, "-m", "lab.settings", *args], check=False, cwd=REPO,
                          env=environ, capture_output=True, text=True, timeout=60)


def test_cli_prints_json_for_a_good_file():
    result = run_cli("--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == load(LAB_YML, environ={}).to_dict()


def test_cli_prints_a_summary_for_people():
    result = run_cli()
    assert result.returncode == 0, result.stderr
    settings = load(LAB_YML, environ={})
    assert settings.box in result.stdout
    assert settings.nodes["node2"].ip in result.stdout


def test_cli_exits_2_on_a_bad_file(tmp_path):
    def change(data):
        data["nodes"]["node1"]["ip"] = "192.168.56.300"

    result = run_cli("--file", str(broken(tmp_path, change)), "--json")
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert "nodes.node1.ip: '192.168.56.300' is not an IPv4 address" in lines[0]
    assert lines[-1] == NOTHING_STARTED
    assert "Nothing was started" in NOTHING_STARTED
    assert "Traceback" not in result.stderr


def test_oom_score_not_below_dockers_default(tmp_path):
    path = broken(tmp_path, lambda d: d["daemon"].update(oom_score_adjust=-500))
    problem = only_problem(path)
    assert "lab.yml: daemon.oom_score_adjust:" in problem and "-500" in problem


def test_relative_data_root(tmp_path):
    path = broken(tmp_path, lambda d: d["daemon"].update(data_root="data"))
    assert "daemon.data_root: 'data' is not an absolute" in only_problem(path)


def test_published_port_taken_by_the_tcp_daemon(tmp_path):
    path = broken(tmp_path, lambda d: d["ports"].update(nginx=2376))
    assert "lab.yml: ports.nginx: 2376 is daemon.tcp_port" in only_problem(path)


def test_two_published_ports_cannot_be_the_same(tmp_path):
    path = broken(tmp_path, lambda d: d["ports"].update(front=8080))
    assert "lab.yml: ports.front: 8080 is ports.nginx too" in only_problem(path)


def test_front_cannot_take_the_apps_port(tmp_path):
    path = broken(tmp_path, lambda d: d["ports"].update(front=5000))
    assert "lab.yml: ports.front: 5000 is the app's port" in only_problem(path)


def test_front_port_is_required(tmp_path):
    path = broken(tmp_path, lambda d: d["ports"].pop("front"))
    assert "add `front: 80`" in only_problem(path)


def test_image_reference_without_tag(tmp_path):
    path = broken(tmp_path, lambda d: d["tp_images"].update(redis="redis"))
    problem = only_problem(path)
    assert "lab.yml: tp_images.redis:" in problem and "NAME:TAG" in problem


def test_libvirt_prefix_must_be_a_simple_name(tmp_path):
    path = broken(tmp_path, lambda d: d["libvirt"].update(prefix="TP 15"))
    assert "lab.yml: libvirt.prefix: 'TP 15'" in only_problem(path)


def test_user_namespaces_cannot_be_disabled(tmp_path):
    path = broken(tmp_path, lambda d: d["security"].update(max_user_namespaces=0))
    assert "lab.yml: security.max_user_namespaces: 0 must be a whole number above 0" in (
        only_problem(path))


def test_seccomp_profile_must_be_shipped(tmp_path):
    path = broken(tmp_path, lambda d: d["versions"].update(moby_seccomp="v99.0.0"))
    problem = only_problem(path)
    assert "versions.moby_seccomp: 'v99.0.0' has no profile provision/seccomp/v99.0.0.json" in (
        problem) and "v20.10.24" in problem


def test_dm_basesize_is_a_size_large_enough_for_the_images(tmp_path):
    path = broken(tmp_path, lambda d: d["security"].update(dm_basesize="100M"))
    assert "lab.yml: security.dm_basesize: '100M' is too small" in only_problem(path)
    path = broken(tmp_path, lambda d: d["security"].update(dm_basesize="1 GB"))
    assert "security.dm_basesize: '1 GB' is not a size" in only_problem(path)


def test_dm_basesize_leaves_room_in_the_thin_pool(tmp_path):
    path = broken(tmp_path, lambda d: d["security"].update(dm_basesize="4G"))
    problem = only_problem(path)
    assert "security.dm_basesize: '4G' is more than half of node1's thinpool disk (6G)" in (
        problem) and "nodes.node1.disks.thinpool" in problem


def required_paths(data: dict, prefix: tuple = ()) -> list[tuple]:
    """Every key of the repository's lab.yml that must be there (boxes, artifacts and the
    sha256 pins of rkt's packages and Portainer's image may not)."""
    paths = []
    for key, value in data.items():
        if prefix + (key,) in (("boxes",), ("artifacts",), ("rkt", "deb_sha256"),
                               ("rkt", "rpm_sha256"), ("portainer", "sha256")):
            continue
        paths.append(prefix + (key,))
        if isinstance(value, dict):
            paths += required_paths(value, prefix + (key,))
    return paths


@pytest.mark.parametrize("path", required_paths(yaml.safe_load(LAB_YML.read_text("utf-8"))),
                         ids=".".join)
def test_each_key_left_out_is_one_problem_saying_what_to_add(tmp_path, path):
    def change(data):
        for key in path[:-1]:
            data = data[key]
        del data[path[-1]]

    problem = only_problem(broken(tmp_path, change))
    assert f"lab.yml: {'.'.join(path)}: missing; add `{path[-1]}:" in problem


def test_a_section_that_is_not_a_mapping_is_one_problem_showing_its_keys(tmp_path):
    problem = only_problem(broken(tmp_path, lambda d: d.update(network="tp15-lab")))
    assert problem.endswith("lab.yml: network: 'tp15-lab' is not a mapping; write it as `network:` "
                            "with `name: tp15-lab`, `prefix: 24`, one indented line each")


def test_a_typo_is_not_reported_missing_as_well(tmp_path):
    def change(data):
        disks = data["nodes"]["node1"]["disks"]
        disks["thinpol"] = disks.pop("thinpool")

    problem = only_problem(broken(tmp_path, change))
    assert "nodes.node1.disks.thinpol: unknown key; did you mean 'thinpool'?" in problem


def test_a_null_box_counts_as_absent_unless_it_is_the_one_needed(tmp_path):
    path = broken(tmp_path, lambda d: d["boxes"]["debian-12"].update(libvirt=None))
    assert load(path, environ={}).box == "generic/centos9s@4.3.12"
    problem = only_problem(path, environ={"LAB_DISTRIBUTION": "debian-12"})
    assert "boxes.debian-12.libvirt: missing: no box is configured" in problem


def test_a_seccomp_tag_that_is_a_path_is_a_problem_not_a_traceback(tmp_path):
    path = broken(tmp_path, lambda d: d["versions"].update(moby_seccomp="/etc/passwd"))
    assert "versions.moby_seccomp: '/etc/passwd' has no profile" in only_problem(path)


def test_every_wrong_variable_is_named_with_its_fix():
    found = problems(LAB_YML, environ={"LAB_DISTRIBUTION": "debian", "LAB_PROVIDER": "vbox",
                                       "LAB_ENGINE": "ce", "LAB_IMAGES": "hubb",
                                       "LAB_LIBVIRT_DRIVER": "kv"})
    assert [p.split("=")[0] for p in found] == ["LAB_DISTRIBUTION", "LAB_PROVIDER", "LAB_ENGINE",
                                                "LAB_IMAGES", "LAB_LIBVIRT_DRIVER"]
    assert all("or unset it to use lab.yml's" in p for p in found)
    assert "did you mean 'debian-12'?" in found[0]


def test_the_examples_the_fixes_suggest_pass_their_own_checks():
    from lab.settings import SCHEMA, Key

    def keys(section, prefix=""):
        for name, spec in section.keys.items():
            if isinstance(spec, Key):
                yield f"{prefix}{name}", spec
            else:
                yield from keys(spec, f"{prefix}{name}.")

    for name, spec in keys(SCHEMA):
        example = yaml.safe_load(str(spec.example))
        failed = [check.problem for check in spec.checks if not check.ok(example)]
        assert not failed, f"{name}: its example {spec.example} fails: {failed}"


def test_a_box_without_a_version_takes_the_newest():
    settings = load(LAB_YML, environ={"LAB_BOX": "tp15/debian-12"})
    assert (settings.box_name, settings.box_version) == ("tp15/debian-12", None)
