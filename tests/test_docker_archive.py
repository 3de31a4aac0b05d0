"""lab/docker_archive.py: the stand-ins as `docker load` archives, those with the same
base sharing a layer, each unpacking to exactly its tarball."""

import hashlib
import io
import json
import tarfile
from dataclasses import replace

from lab.docker_archive import StandIn, docker_archives, read_entries

BASE = "debian-bookworm-minbase"


def _tar(path, members):
    """Write ``members`` (name, kind, data or link target, mtime, pax) as a tar at path."""
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as archive:
        for name, kind, content, mtime, pax in members:
            info = tarfile.TarInfo(name)
            info.mtime, info.pax_headers = mtime, dict(pax)
            if kind == "dir":
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                archive.addfile(info)
            elif kind == "link":
                info.type, info.linkname = tarfile.LNKTYPE, content
                archive.addfile(info)
            else:
                info.size, info.mode = len(content), 0o644
                archive.addfile(info, io.BytesIO(content))
    return path


def _debian(tmp_path, name, own, built_at):
    """A minbase-like stand-in: shared files, a directory and a file whose times depend on
    the build, a hard link, a capability (xattr), and ``own`` files."""
    return _tar(tmp_path / f"{name}.tar", [
        ("./", "dir", None, built_at, {"atime": str(built_at)}),
        ("./usr", "dir", None, 1000, {}),
        ("./usr/bin", "dir", None, 1000, {}),
        ("./usr/bin/gzip", "file", b"gzip", 1000, {"atime": str(built_at)}),
        ("./usr/bin/gunzip", "file", b"gunzip", 1000, {}),
        ("./usr/bin/uncompress", "link", "./usr/bin/gunzip", 1000, {}),
        ("./usr/bin/ping", "file", b"ping", 1000,
         {"SCHILY.xattr.security.capability": "cap"}),
        ("./etc", "dir", None, built_at, {}),
        ("./etc/passwd", "file", f"root {name}".encode(), built_at, {}),
        *[(f"./usr/bin/{file}", "file", file.encode(), 1000, {}) for file in own],
    ])


def _stand_in(tmp_path, name, tarball, base=BASE):
    sha = hashlib.sha256(tarball.read_bytes()).hexdigest()
    return StandIn(name, f"{name}:latest", tarball, sha, ["CMD [\"sh\"]", f"LABEL x={name}"],
                   base)


def _open(path):
    """The archive's files, its manifest and its image config."""
    with tarfile.open(path) as archive:
        files = {info.name: archive.extractfile(info).read() for info in archive}
    [manifest] = json.loads(files["manifest.json"])
    return files, manifest, json.loads(files[manifest["Config"]])


def _tree(entries):
    """name -> everything `docker load` restores of a member (of the pax headers: the
    extended attributes; the others repeat the fields)."""
    return {info.name: (info.type, info.mode, info.uid, info.gid, info.mtime, info.linkname,
                        data, {k: v for k, v in info.pax_headers.items()
                               if k.startswith("SCHILY.xattr.")})
            for info, data in entries}


def _unpacked(files, manifest):
    tree = {}
    for name in manifest["Layers"]:
        tree.update(_tree(read_entries(files[name])))
    return tree


def _group(tmp_path):
    return [_stand_in(tmp_path, "nginx", _debian(tmp_path, "nginx", ["nginx"], 2000)),
            _stand_in(tmp_path, "redis", _debian(tmp_path, "redis", ["redis-server"], 3000)),
            _stand_in(tmp_path, "alpine", _tar(tmp_path / "alpine.tar", [
                ("./bin/busybox", "file", b"busybox", 1000, {})]), base=None)]


def test_stand_ins_with_a_base_share_its_layer_and_each_unpacks_to_its_tarball(tmp_path):
    stand_ins = _group(tmp_path)
    archives = docker_archives(stand_ins, tmp_path / "load")
    layers = {}
    for stand_in in stand_ins:
        files, manifest, config = _open(archives[stand_in.name])
        assert _unpacked(files, manifest) == _tree(read_entries(stand_in.tarball.read_bytes()))
        assert manifest["RepoTags"] == [f"{stand_in.name}:latest"]
        assert config["rootfs"]["diff_ids"] == [
            "sha256:" + hashlib.sha256(files[name]).hexdigest() for name in manifest["Layers"]]
        assert len(config["history"]) == len(manifest["Layers"])
        assert config["config"]["Labels"] == {"x": stand_in.name}
        layers[stand_in.name] = manifest["Layers"]
    assert layers["nginx"][0] == layers["redis"][0] and len(layers["nginx"]) == 2
    assert len(layers["alpine"]) == 1
    files, manifest, _ = _open(archives["nginx"])
    shared = {info.name for info, _ in read_entries(files[manifest["Layers"][0]])}
    assert shared == {"./usr", "./usr/bin", "./usr/bin/gzip", "./usr/bin/gunzip",
                      "./usr/bin/uncompress", "./usr/bin/ping"}


def test_a_hard_link_stays_in_the_layer_of_its_target(tmp_path):
    nginx = _debian(tmp_path, "nginx", [], 2000)
    # redis's gunzip differs: its target leaves the shared layer, so its link does too
    redis = _tar(tmp_path / "redis.tar", [
        ("./usr/bin/gzip", "file", b"gzip", 1000, {}),
        ("./usr/bin/gunzip", "file", b"other gunzip", 1000, {}),
        ("./usr/bin/uncompress", "link", "./usr/bin/gunzip", 1000, {})])
    archives = docker_archives([_stand_in(tmp_path, "nginx", nginx),
                                _stand_in(tmp_path, "redis", redis)], tmp_path / "load")
    for name, tarball in (("nginx", nginx), ("redis", redis)):
        files, manifest, _ = _open(archives[name])
        shared = {info.name for info, _ in read_entries(files[manifest["Layers"][0]])}
        assert shared == {"./usr/bin/gzip"}
        assert _unpacked(files, manifest) == _tree(read_entries(tarball.read_bytes()))


def test_archives_are_made_once_and_named_by_their_inputs(tmp_path):
    stand_ins = _group(tmp_path)
    first = docker_archives(stand_ins, tmp_path / "load")
    content = {name: path.read_bytes() for name, path in first.items()}
    made = {name: path.stat().st_mtime_ns for name, path in first.items()}
    assert docker_archives(stand_ins, tmp_path / "load") == first
    assert {name: path.stat().st_mtime_ns for name, path in first.items()} == made
    for path in first.values():
        path.unlink()
    assert {name: path.read_bytes() for name, path in
            docker_archives(stand_ins, tmp_path / "load").items()} == content
    renamed = [replace(stand_ins[0], reference="nginx:1.25"), *stand_ins[1:]]
    assert docker_archives(renamed, tmp_path / "load")["nginx"] != first["nginx"]
    assert not list((tmp_path / "load").glob("*.partial"))
