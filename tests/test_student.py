"""Profile student: its settings, the OCI archives its registry is filled from, what node1
hands out, the report's next step, and the snapshot tool's refusals."""

import gzip
import hashlib
import io
import json
import tarfile
from types import SimpleNamespace

import pytest

from acceptance.report import RequirementReport
from acceptance.report_files import _rows as rows
from acceptance.report_files import markdown, page
from lab import oci, student
from lab.catalogue import load_catalogue
from lab.settings import load
from provision import student as provision_student

from .test_report import report
from .test_settings import broken, only_problem

# --- settings ------------------------------------------------------------------------------

def test_the_profile_is_reference_unless_lab_yml_or_lab_profile_says_student():
    assert load(environ={}).profile == "reference"
    assert load(environ={"LAB_PROFILE": "student"}).profile == "student"
    assert load(environ={}).to_dict()["student"] == {"files": "/opt/tp15", "registry_port": 5050}


def test_a_misspelt_profile_is_named_with_the_fix(tmp_path):
    path = broken(tmp_path, lambda data: data.update(profile="students"))
    assert "profile: 'students' is not one of reference, student; did you mean 'student'?" in (
        only_problem(path))
    assert "set LAB_PROFILE to one of them" in only_problem(path, {"LAB_PROFILE": "x"})


def test_the_student_registry_must_not_take_a_port_of_the_tp(tmp_path):
    path = broken(tmp_path, lambda data: data["student"].update(registry_port=5000))
    assert only_problem(path).endswith(
        "student.registry_port: 5000 is the app's port in the compose stack (CMP-3) too (5000); "
        "use another port, e.g. 5050")
    path = broken(tmp_path, lambda data: data["student"].update(registry_port=2376))
    assert "is daemon.tcp_port too" in only_problem(path)


# --- OCI archives --------------------------------------------------------------------------

def _rootfs() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        entry = tarfile.TarInfo("etc/hostname")
        entry.size = 5
        archive.addfile(entry, io.BytesIO(b"stand"))
    return buffer.getvalue()


def test_image_config_takes_every_instruction_build_offline_writes():
    changes = ['ENV PATH=/usr/bin:/bin', 'VOLUME /data', 'WORKDIR /data', 'USER redis',
               'EXPOSE 6379', 'CMD ["redis-server", "--dir", "/data"]', 'LABEL a=b']
    assert oci.image_config(changes) == {
        "Env": ["PATH=/usr/bin:/bin"], "Volumes": {"/data": {}}, "WorkingDir": "/data",
        "User": "redis", "ExposedPorts": {"6379/tcp": {}},
        "Cmd": ["redis-server", "--dir", "/data"], "Labels": {"a": "b"}}
    with pytest.raises(ValueError, match="RUN apt-get"):
        oci.image_config(["RUN apt-get update"])


def test_the_layout_is_consistent_digests_sizes_and_diff_ids():
    rootfs = _rootfs()
    files = oci.layout_files(rootfs, ['CMD ["/bin/sh"]'])
    for name, data in files.items():
        if name.startswith("blobs/sha256/"):
            assert hashlib.sha256(data).hexdigest() == name.rsplit("/", 1)[1]
    index = json.loads(files["index.json"])
    [entry] = index["manifests"]
    assert entry["annotations"] == {"org.opencontainers.image.ref.name": "latest"}
    manifest = json.loads(files[f"blobs/sha256/{entry['digest'][7:]}"])
    assert entry["size"] == len(files[f"blobs/sha256/{entry['digest'][7:]}"])
    [layer] = manifest["layers"]
    config = json.loads(files[f"blobs/sha256/{manifest['config']['digest'][7:]}"])
    assert gzip.decompress(files[f"blobs/sha256/{layer['digest'][7:]}"]) == rootfs
    assert config["rootfs"]["diff_ids"] == ["sha256:" + hashlib.sha256(rootfs).hexdigest()]
    assert config["config"]["Cmd"] == ["/bin/sh"]


def test_the_archive_is_made_once_and_the_same_for_the_same_stand_in(tmp_path):
    (tmp_path / "alpine.tar").write_bytes(_rootfs())
    first = oci.oci_archive(tmp_path / "alpine.tar", ['CMD ["/bin/sh"]'], tmp_path / "oci")
    content = first.read_bytes()
    first.unlink()
    again = oci.oci_archive(tmp_path / "alpine.tar", ['CMD ["/bin/sh"]'], tmp_path / "oci")
    assert again == first and again.read_bytes() == content
    other = oci.oci_archive(tmp_path / "alpine.tar", ['CMD ["sh"]'], tmp_path / "oci")
    assert other != first
    with tarfile.open(first) as archive:
        assert archive.getnames()[:2] == ["oci-layout", "index.json"]


# --- what node1 hands out ------------------------------------------------------------------

def test_the_readme_says_how_to_install_rkt_and_pull_offline():
    settings = load(environ={"LAB_PROFILE": "student", "LAB_IMAGES": "offline",
                             "LAB_DISTRIBUTION": "debian-12", "LAB_ENGINE": "distribution"})
    text = provision_student.readme(settings, "rkt_1.29.0-1_amd64.deb")
    assert "sudo apt install /opt/tp15/rkt_1.29.0-1_amd64.deb" in text
    assert "pip install --no-index --find-links wheels -r requirements.txt" in text
    assert "registry-mirrors" in text and "192.168.56.11:5050" in text
    online = provision_student.readme(load(environ={"LAB_PROFILE": "student"}), None)
    assert "registry" not in online and "wheels" not in online
    assert ("download it as the TP says, https://github.com/rkt/rkt/releases/download/v1.29.0/"
            "rkt-1.29.0-1.x86_64.rpm") in online


def test_without_rkt_s_package_the_offline_readme_says_it_is_not_there():
    settings = load(environ={"LAB_PROFILE": "student", "LAB_IMAGES": "offline",
                             "LAB_DISTRIBUTION": "debian-12", "LAB_ENGINE": "distribution"})
    text = provision_student.readme(settings, None)
    assert "rkt's package (rkt_1.29.0-1_amd64.deb) is not here" in text
    assert "apt install" not in text


# --- the report ----------------------------------------------------------------------------

def test_the_next_step_is_the_first_failure_in_the_tp_s_order(tmp_path):
    plugin = RequirementReport(load_catalogue(), student=True)
    host = ("host", "paramiko://node1")
    for requirement, outcome in (("SEC-1", "failed"), ("RUNC-1", "passed"),
                                 ("DCFG-3", "failed"), ("RUNC-3", "skipped")):
        result = report(outcome, [("requirement", requirement), host])
        if outcome == "skipped":
            result.longrepr = ("acceptance/t.py", 1, "Skipped: why")
        plugin.pytest_runtest_logreport(result)
    assert plugin.next_step("paramiko://node1") == "DCFG-3"
    text = markdown(plugin, rows(plugin))
    assert "The lab is in student mode" in text
    assert f"Next, in the TP's order: DCFG-3 — {plugin.catalogue['DCFG-3'].hint_en}" in text
    assert "student mode" in page(plugin, rows(plugin))
    assert "student mode" not in markdown(RequirementReport(load_catalogue()), {})


# --- the snapshot tool ---------------------------------------------------------------------

class FakeVagrant:
    def __init__(self, states, snapshots):
        self.states, self.snapshots, self.calls = states, snapshots, []

    def status(self):
        return [SimpleNamespace(name=name, state=state) for name, state in self.states.items()]

    def snapshot_list(self):
        return list(self.snapshots)

    def snapshot_save(self, name):
        self.calls.append(("save", name))

    def snapshot_restore(self, name):
        self.calls.append(("restore", name))


RUNNING = {"node1": "running", "node2": "running"}


def test_save_refuses_a_reference_lab_and_a_lab_not_running():
    with pytest.raises(student.StudentLabError, match="profile is reference, not student"):
        student.save(FakeVagrant(RUNNING, []), "reference")
    with pytest.raises(student.StudentLabError, match="node2 not running: `vagrant up` first"):
        student.save(FakeVagrant({"node1": "running", "node2": "shutoff"}, []), "student")


def test_save_keeps_an_existing_snapshot_and_reset_needs_one():
    lab = FakeVagrant(RUNNING, ["==> node1:", "student-start", "==> node2:", "student-start"])
    assert "exists already" in student.save(lab, "student") and lab.calls == []
    clocks = []
    assert student.reset(lab, set_clock=clocks.append).startswith(
        "node1, node2 back to student-start, their clocks")
    assert lab.calls == [("restore", "student-start")] and clocks == ["node1", "node2"]
    with pytest.raises(student.StudentLabError, match="no snapshot student-start: take it"):
        student.reset(FakeVagrant(RUNNING, []))
    fresh = FakeVagrant(RUNNING, [])
    assert student.save(fresh, "student") == "saved student-start of node1, node2"
    assert fresh.calls == [("save", "student-start")]


# --- lab.student solve: catch up to a section -------------------------------------------

def test_solve_runs_the_sections_up_to_the_one_asked_over_the_student_lab(monkeypatch, capsys):
    ran = []
    monkeypatch.setattr(student.subprocess, "run", lambda command, **_: ran.append(command) or
                        type("Done", (), {"returncode": 0, "stdout": json.dumps({"results": {
                            "operations": [{"name": "Write /etc/docker/daemon.json (DCFG-3 …"
                                            " DCFG-5)", "success": ["node2"], "error": []}]}})}))
    said = student.solve("daemon", "student")
    assert ran[0][-2:] == ["--data", "solve=daemon"] and "--dry" not in ran[0]
    out = capsys.readouterr().out
    assert "lab.student solve: runc, rkt, daemon (the reference provision" in out
    assert "  changed node2: Write /etc/docker/daemon.json (DCFG-3 … DCFG-5)" in out
    assert said.startswith("1 changes; re-grade") and "(RUNC, RKT, DCFG should pass)" in said


def test_solve_refuses_the_reference_lab_and_an_unknown_section():
    with pytest.raises(student.StudentLabError, match="profile: reference"):
        student.solve("daemon", "reference")
    with pytest.raises(student.StudentLabError, match="no section 'docker': one of runc, rkt"):
        student.solve("docker", "student")
    with pytest.raises(SystemExit):
        student.main(["solve"])  # a section is needed
