"""The offline stand-ins (images/build-offline) as ``docker load`` archives, the format
``docker save`` writes, so that stand-ins built on the same base share its layer:

    nginx = StandIn("nginx", "nginx:latest", Path("images/.build/nginx.tar"), "a43a…",
                    ["EXPOSE 80", 'CMD ["nginx", …]'], base="debian-minbase")
    archives = docker_archives([nginx, redis, python, alpine], Path("images/.build/load"))
    # then, on node1: docker load -i /var/cache/tp15-images/nginx-….docker.tar

nginx, redis and python are Debian minbase systems with one package each: 79 of their
319 MB are the same files, which a node then unpacks once instead of three times. A
stand-in that shares its ``base`` (the manifest's field) with others of the same call
gets two layers — what they all have, byte for byte and with the same metadata, then
the rest of its tarball; any other stand-in gets one. Unpacked in order, the layers give
exactly the stand-in's tarball (its files, owners, modes, times, hard links).

Every file of an archive depends on its inputs only: the same stand-ins give the same
archives, made once, under a name that says which inputs.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from lab.oci import image_config, write_archive

# Part of every archive's name: a change to the layout below makes new archives.
LAYOUT_VERSION = 1
# Access and change times vary from build to build and are not restored by `docker load`.
VOLATILE_PAX = ("atime", "ctime")

Entry = tuple[tarfile.TarInfo, bytes | None]


@dataclass(frozen=True)
class StandIn:
    """One stand-in of images/build-offline's manifest, and the name it is loaded under."""

    name: str            # the TP's name: nginx
    reference: str       # NAME:TAG, from lab.yml's tp_images
    tarball: Path        # its root filesystem, images/.build/nginx.tar
    sha256: str          # the tarball's, from the manifest
    changes: list[str]   # the image config, as `docker import --change` lines
    base: str | None     # stand-ins with the same base share a layer


def read_entries(tarball: bytes) -> list[Entry]:
    """The tar's members in order, each with its content (None but for regular files)."""
    with tarfile.open(fileobj=io.BytesIO(tarball)) as archive:
        return [(info, archive.extractfile(info).read() if info.isreg() else None)
                for info in archive]


def _identity(info: tarfile.TarInfo, data: bytes | None) -> tuple:
    pax = sorted((key, value) for key, value in info.pax_headers.items()
                 if key not in VOLATILE_PAX)
    return (info.type, info.mode, info.uid, info.gid, info.uname, info.gname, info.linkname,
            info.mtime, info.devmajor, info.devminor, tuple(pax), data)


def common_names(images: list[list[Entry]]) -> set[str]:
    """The members every image has, identical: same content and metadata. A hard link
    and its target are common only together (a layer's hard link points into it).

        >>> def tar(*files):
        ...     buffer = io.BytesIO()
        ...     with tarfile.open(fileobj=buffer, mode="w") as archive:
        ...         for name, data in files:
        ...             info = tarfile.TarInfo(name); info.size = len(data)
        ...             archive.addfile(info, io.BytesIO(data))
        ...     return read_entries(buffer.getvalue())
        >>> sorted(common_names([tar(("libc", b"c"), ("nginx", b"n")),
        ...                      tar(("libc", b"c"), ("redis", b"r"))]))
        ['libc']
    """
    first, *others = images
    identities = [{info.name: _identity(info, data) for info, data in image}
                  for image in others]
    common = {info.name for info, data in first
              if all(known.get(info.name) == _identity(info, data) for known in identities)}
    links = [(info.name, info.linkname) for image in images for info, _ in image
             if info.islnk()]
    changed = True
    while changed:
        changed = False
        for name, target in links:
            if (name in common) != (target in common):
                common.discard(name)
                common.discard(target)
                changed = True
    return common


def layer(entries: list[Entry]) -> bytes:
    """An uncompressed layer tar of ``entries``, in their order, without access and change
    times (deterministic)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for info, data in entries:
            info = copy.copy(info)
            info.pax_headers = {key: value for key, value in info.pax_headers.items()
                                if key not in VOLATILE_PAX}
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _json(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def archive_files(reference: str, changes: list[str], layers: list[tuple[bytes, str]],
                  created: float) -> dict[str, bytes]:
    """The files of a ``docker load`` archive (path -> content) holding one image tagged
    ``reference``: ``layers`` (layer tar, what made it) bottom first, ``changes`` as its
    config, ``created`` (a Unix time) as its date."""
    date = datetime.fromtimestamp(int(created), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    diff_ids = [_sha256(data) for data, _ in layers]
    config = _json({
        "architecture": "amd64", "os": "linux", "created": date,
        "config": image_config(changes),
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{digest}" for digest in diff_ids]},
        "history": [{"created": date, "created_by": made_by} for _, made_by in layers],
    })
    config_name = f"{_sha256(config)}.json"
    files = {"manifest.json": _json([{
        "Config": config_name, "RepoTags": [reference],
        "Layers": [f"{digest}/layer.tar" for digest in diff_ids]}]), config_name: config}
    for (data, _), digest in zip(layers, diff_ids, strict=True):
        files[f"{digest}/layer.tar"] = data
    return files


def _archive_path(stand_in: StandIn, group: list[StandIn], folder: Path) -> Path:
    inputs = _json({"layout": LAYOUT_VERSION, "reference": stand_in.reference,
                    "changes": stand_in.changes,
                    "group": sorted((other.name, other.sha256) for other in group)})
    return folder / f"{stand_in.name}-{_sha256(inputs)[:16]}.docker.tar"


def _made_by(stand_in: StandIn) -> str:
    return f"images/build-offline: {stand_in.name} ({stand_in.tarball.name} {stand_in.sha256[:12]})"


def _write_group(group: list[StandIn], paths: dict[str, Path]) -> None:
    images = [read_entries(stand_in.tarball.read_bytes()) for stand_in in group]
    common = common_names(images) if len(group) > 1 else set()
    base = [entry for entry in images[0] if entry[0].name in common]
    shared_by = ", ".join(stand_in.name for stand_in in group)
    base_layer = [(layer(base), f"images/build-offline: {group[0].base}, shared by {shared_by}")
                  ] if base else []
    for stand_in, entries in zip(group, images, strict=True):
        rest = [entry for entry in entries if entry[0].name not in common]
        created = max((info.mtime for info, _ in entries), default=0)
        files = archive_files(stand_in.reference, stand_in.changes,
                              [*base_layer, (layer(rest), _made_by(stand_in))], created)
        write_archive(files, paths[stand_in.name])


def docker_archives(stand_ins: list[StandIn], folder: Path) -> dict[str, Path]:
    """TP name -> ``folder``/NAME-DIGEST.docker.tar for each stand-in, made unless it
    exists; the stand-ins with the same ``base`` share their common files' layer."""
    groups: dict[tuple[str, str], list[StandIn]] = {}
    for stand_in in stand_ins:
        key = ("base", stand_in.base) if stand_in.base else ("alone", stand_in.name)
        groups.setdefault(key, []).append(stand_in)
    paths = {}
    for group in groups.values():
        group_paths = {stand_in.name: _archive_path(stand_in, group, folder)
                       for stand_in in group}
        if not all(path.exists() for path in group_paths.values()):
            folder.mkdir(parents=True, exist_ok=True)
            _write_group(group, group_paths)
        paths.update(group_paths)
    return paths
