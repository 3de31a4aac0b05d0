"""rkt/build-package without building: its checks of the arguments and of the source
tarball, the control file and maintainer scripts it writes from rkt's own packaging
scripts, and its patch. The build itself takes minutes (rkt/README.md).

The script's functions are called by sourcing it (it runs `main` only when executed).
Tests that read rkt's real source use ../shared/third-party/rkt-1.29.0-src.tar.gz and
are skipped without it.
"""

import hashlib
import io
import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from lab.settings import REPO
from tests.test_host_tools import host_packages

SCRIPT = REPO / "rkt" / "build-package"
PATCH = REPO / "rkt" / "make-4.3-space.patch"
THIRD_PARTY = REPO.parent / "shared" / "third-party"
TARBALL = THIRD_PARTY / "rkt-1.29.0-src.tar.gz"
TOP = "rkt-1.29.0"
PATCHED = ["makelib/misc.mk", "stage1/find-so-deps.mk"]
PACKAGING = ["scripts/pkg/before-install", "scripts/pkg/after-install",
             "scripts/pkg/before-remove", "scripts/pkg/after-remove",
             "dist/scripts/setup-data-dir.sh"]

def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "RKT_SOURCE_TARBALL"}
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=60,
                          env=environment | (env or {}))


def call(function: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    """One of the script's functions, in a shell that sourced the script."""
    return subprocess.run(["bash", "-c", 'source "$1" && shift && "$@"', "test", str(SCRIPT),
                           function, *args], input=stdin, capture_output=True, text=True,
                          timeout=30)


def fields(control: str) -> dict[str, str]:
    """A deb822 paragraph: field -> value (continuation lines joined with newlines)."""
    found, name = {}, None
    for line in control.splitlines():
        if line.startswith(" ") and name:
            found[name] += "\n" + line[1:]
        else:
            name, _, value = line.partition(":")
            found[name] = value.strip()
    return found


@pytest.fixture(scope="module")
def rkt_source(tmp_path_factory) -> Path:
    """The files these tests read from rkt 1.29.0's source, extracted once."""
    if not TARBALL.is_file():
        pytest.skip(f"no {TARBALL}")
    into = tmp_path_factory.mktemp("rkt-source")
    wanted = {f"{TOP}/{member}" for member in PACKAGING + PATCHED}
    with tarfile.open(TARBALL) as tar:
        tar.extractall(into, members=[m for m in tar if m.name in wanted], filter="data")
    return into / TOP


def fake_tarball(path: Path) -> Path:
    data = b"AC_INIT([rkt], [1.29.0])\n"
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo(f"{TOP}/configure.ac")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return path


# ---------------------------------------------------------------- arguments and source


def test_help_prints_the_usage():
    result = run("--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: ")
    for option in ("--source TARBALL", "--force", "RKT_SOURCE_TARBALL", "rkt_1.29.0-1_amd64.deb"):
        assert option in result.stdout


def test_an_unknown_argument_stops_with_the_usage():
    result = run("--bogus")
    assert result.returncode == 1
    assert "usage: " in result.stderr
    assert "unknown argument: --bogus" in result.stderr


def test_a_missing_tarball_is_named_with_the_ways_to_give_another(tmp_path):
    missing = tmp_path / "nowhere" / "rkt.tar.gz"
    for result in (run("--source", str(missing)), run(env={"RKT_SOURCE_TARBALL": str(missing)})):
        assert result.returncode == 1
        assert f"rkt's source release {missing} is missing" in result.stderr
        assert "--source TARBALL" in result.stderr and "RKT_SOURCE_TARBALL" in result.stderr


def test_a_tarball_with_another_sha256_is_refused_before_anything_is_built(tmp_path):
    fake = fake_tarball(tmp_path / "rkt-1.29.0-src.tar.gz")
    result = run(f"--source={fake}")
    assert result.returncode == 1
    actual = hashlib.sha256(fake.read_bytes()).hexdigest()
    assert f"{fake} has sha256 {actual}, not a0a2a310" in result.stderr
    assert "nothing was built" in result.stderr
    assert "==>" not in result.stdout


@pytest.mark.skipif(not (THIRD_PARTY / "README.md").is_file(), reason="no third-party README")
def test_the_pinned_sha256_is_the_third_party_readme_s():
    row = next(line for line in (THIRD_PARTY / "README.md").read_text().splitlines()
               if "rkt-1.29.0-src.tar.gz" in line and "|" in line)
    readme_sha = re.search(r"\b[0-9a-f]{64}\b", row).group()
    assert f"SOURCE_SHA256={readme_sha}\n" in SCRIPT.read_text()


def test_every_build_dependency_is_installed_by_host_setup():
    listed = re.search(r"^BUILD_DEPS=\(([^)]*)\)", SCRIPT.read_text(), re.M).group(1).split()
    assert "golang-go" in listed
    assert set(listed) <= set(host_packages()), \
        "add the missing build dependencies to .ci/host-packages"


# ---------------------------------------------------------------- the control file


def test_the_control_file_has_the_official_package_s_identity_and_depends():
    result = call("render_control", "libc6 (>= 2.34)", "76543")
    assert result.returncode == 0, result.stderr
    control = fields(result.stdout)
    assert (control["Package"], control["Version"], control["Architecture"]) == \
        ("rkt", "1.29.0-1", "amd64")
    assert control["Installed-Size"] == "76543"
    depends = control["Depends"].split(", ")
    # scripts/pkg/build-pkgs.sh: -d adduser -d dbus -d libc6 -d systemd -d iptables
    assert depends[:5] == ["adduser", "dbus", "libc6 (>= 2.34)", "systemd", "iptables"]
    assert {"systemd-container", "libacl1"} <= set(depends)
    assert control["Suggests"] == "ca-certificates"
    assert control["Section"] == "utils"
    assert "stage1" in control["Description"]


@pytest.mark.skipif(not shutil.which("dpkg-deb"), reason="no dpkg-deb")
def test_dpkg_deb_accepts_the_control_file(tmp_path):
    (tmp_path / "root" / "DEBIAN").mkdir(parents=True)
    control = call("render_control", "libc6 (>= 2.34)", "1").stdout
    (tmp_path / "root" / "DEBIAN" / "control").write_text(control)
    built = subprocess.run(["dpkg-deb", "--root-owner-group", "--build", str(tmp_path / "root"),
                            str(tmp_path / "rkt.deb")], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    assert "warning" not in built.stderr
    shown = subprocess.run(["dpkg-deb", "--field", str(tmp_path / "rkt.deb"), "Package", "Version"],
                           capture_output=True, text=True).stdout
    assert shown == "Package: rkt\nVersion: 1.29.0-1\n"


# ---------------------------------------------------------------- libraries, ldflags

OBJDUMP = """\
Dynamic Section:
  NEEDED               libc.so.6
  VERNEEDNUM           0x0000000000000001

Version References:
  required from libc.so.6:
    0x069691b2 0x00 06 GLIBC_2.32
    0x06969194 0x00 05 GLIBC_2.14
    0x09691972 0x00 04 GLIBC_2.3.2
    0x069691b4 0x00 03 GLIBC_2.34
    0x09691a75 0x00 02 GLIBC_2.2.5
"""


def test_libc6_needs_the_highest_glibc_version_the_binary_uses():
    result = call("libc6_dependency", stdin=OBJDUMP)
    assert (result.returncode, result.stdout) == (0, "libc6 (>= 2.34)\n")


def test_a_library_the_official_rkt_does_not_link_with_stops_the_build():
    dump = OBJDUMP.replace("  VERNEEDNUM", "  NEEDED               libsystemd.so.0\n  VERNEEDNUM")
    result = call("libc6_dependency", stdin=dump)
    assert result.returncode == 1
    assert "rkt links with libsystemd.so.0" in result.stderr


def test_the_default_stage1_location_is_read_from_the_build_info():
    info = ("\tbuild\t-ldflags=\" -X 'main.buildDefaultStage1Name=coreos.com/rkt/stage1-host' "
            "-X 'main.buildDefaultStage1ImageLoc=/usr/lib/rkt/stage1-images/stage1-host.aci' \"\n")
    assert call("ldflag", "main.buildDefaultStage1ImageLoc", stdin=info).stdout == \
        "/usr/lib/rkt/stage1-images/stage1-host.aci\n"
    assert call("ldflag", "main.buildDefaultStage1Version", stdin=info).stdout == ""


# ---------------------------------------------------------------- maintainer scripts


@pytest.fixture
def scripts(rkt_source, tmp_path) -> Path:
    """The maintainer scripts written from rkt 1.29.0's own packaging scripts."""
    (tmp_path / "DEBIAN").mkdir()
    result = call("write_maintainer_scripts", str(rkt_source), str(tmp_path / "DEBIAN"))
    assert result.returncode == 0, result.stderr
    return tmp_path / "DEBIAN"


def test_the_maintainer_scripts_are_executable_shell_scripts(scripts):
    for name, shell in (("preinst", "sh"), ("postinst", "bash"), ("prerm", "sh"), ("postrm", "sh")):
        script = scripts / name
        assert os.access(script, os.X_OK), name
        assert script.read_text().startswith(f"#!/bin/{shell}\n"), name
        checked = subprocess.run([shell, "-n", str(script)], capture_output=True, text=True)
        assert checked.returncode == 0, f"{name}: {checked.stderr}"


def test_the_postinst_runs_setup_data_dir_and_the_official_after_install(scripts):
    postinst = (scripts / "postinst").read_text()
    assert "getent group rkt-admin || groupadd --force --system rkt-admin" in postinst
    assert "getent group rkt || groupadd --force --system rkt" in postinst
    # setup-data-dir.sh reads rkt.conf from the package's path, not from beside itself.
    assert 'systemd-tmpfiles --create /usr/lib/tmpfiles.d/rkt.conf && exit' in postinst
    assert "../init/systemd" not in postinst
    assert "systemctl daemon-reload || true" in postinst  # scripts/pkg/after-install


def test_the_official_before_and_after_remove_are_kept(scripts):
    assert "groupadd --force --system rkt-admin" in (scripts / "preinst").read_text()
    assert "/usr/bin/rkt gc --grace-period=0s" in (scripts / "prerm").read_text()
    assert "rm -rf /var/lib/rkt" in (scripts / "postrm").read_text()


@pytest.mark.skipif(os.geteuid() != 0, reason="setup-data-dir.sh stops unless run as root")
def test_postinst_configure_makes_the_groups_then_the_data_dir(scripts, tmp_path):
    # Every command with an effect is a stub that records its arguments.
    stubs, log = tmp_path / "stubs", tmp_path / "calls"
    stubs.mkdir()
    for command, status in (("getent", 2), ("groupadd", 0), ("systemd-tmpfiles", 0),
                            ("systemctl", 0), ("which", 0)):
        stub = stubs / command
        stub.write_text(f'#!/bin/sh\necho "{command} $*" >> {log}\nexit {status}\n')
        stub.chmod(0o755)
    result = subprocess.run([str(scripts / "postinst"), "configure"], capture_output=True,
                            text=True, env={"PATH": f"{stubs}:/usr/bin:/bin"}, timeout=30)
    assert result.returncode == 0, result.stderr
    assert [c for c in log.read_text().splitlines() if not c.startswith(("getent", "which"))] == [
        "groupadd --force --system rkt-admin",
        "groupadd --force --system rkt",
        "systemd-tmpfiles --create /usr/lib/tmpfiles.d/rkt.conf",
        "systemd-tmpfiles --create /usr/lib/tmpfiles.d/rkt.conf",
        "systemctl daemon-reload",
    ]


def test_a_changed_setup_data_dir_stops_the_build(tmp_path):
    source = tmp_path / "src"
    for member in PACKAGING:
        (source / member).parent.mkdir(parents=True, exist_ok=True)
        (source / member).write_text("#!/bin/sh\ntrue\n")
    (tmp_path / "DEBIAN").mkdir()
    result = call("write_maintainer_scripts", str(source), str(tmp_path / "DEBIAN"))
    assert result.returncode == 1
    assert "setup-data-dir.sh no longer reads rkt.conf from" in result.stderr


# ---------------------------------------------------------------- the patch


def test_the_patch_says_why_and_touches_only_the_space_variables():
    text = PATCH.read_text()
    assert "GNU make 4.3" in text.split("\n--- ", 1)[0]
    assert re.findall(r"^\+\+\+ b/(\S+)", text, re.M) == PATCHED
    changed = [line for line in text.splitlines()
               if line.startswith(("+", "-")) and not line.startswith(("--- ", "+++ "))]
    assert changed and all("SPACE" in line for line in changed), changed
    # Three definitions in misc.mk, one in find-so-deps.mk, each from two lines to one.
    assert len([line for line in changed if line.startswith("+")]) == 4
    assert len([line for line in changed if line.startswith("-")]) == 8


def test_the_patch_applies_to_rkt_1_29_0(rkt_source, tmp_path):
    source = tmp_path / TOP
    for name in PATCHED:
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(rkt_source / name, source / name)
    applied = subprocess.run(["patch", "-p1", "--forward", "--dry-run", "-i", str(PATCH)],
                             cwd=source, capture_output=True, text=True)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    subprocess.run(["patch", "-p1", "--forward", "--quiet", "-i", str(PATCH)], cwd=source,
                   check=True)
    for name in PATCHED:
        assert not re.search(r"SPACE_? *\+=", (source / name).read_text()), name
