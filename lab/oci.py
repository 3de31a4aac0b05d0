"""An offline stand-in (images/build-offline: a root filesystem tarball and the
``docker import --change`` lines that make it an image) as an OCI image archive, the
form a registry is filled from without Docker (profile student, images: offline):

    archive = oci_archive(Path("images/.build/alpine.tar"),
                          ['ENV PATH=/usr/bin:/bin', 'CMD ["/bin/sh"]'], Path("images/.build/oci"))
    # then, on node1: skopeo copy oci-archive:/var/cache/tp15-images/alpine-….oci.tar
    #                              docker://192.168.56.11:5050/library/alpine:latest

One gzip layer; every file in the archive depends on the inputs only (no timestamps), so
the same stand-in gives the same digests and the same file name, built once.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shlex
import tarfile
from pathlib import Path

LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
CONFIG = "application/vnd.oci.image.config.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def image_config(changes: list[str]) -> dict:
    """The image's runtime config from ``docker import --change`` lines (the instructions
    images/build-offline writes: ENV, CMD, ENTRYPOINT, EXPOSE, VOLUME, WORKDIR, USER, LABEL).

        >>> image_config(['ENV PATH=/bin', 'EXPOSE 80', 'CMD ["nginx"]', 'USER redis'])
        {'Env': ['PATH=/bin'], 'ExposedPorts': {'80/tcp': {}}, 'Cmd': ['nginx'], 'User': 'redis'}
    """
    config: dict = {}
    for change in changes:
        instruction, _, argument = change.partition(" ")
        instruction, argument = instruction.upper(), argument.strip()
        if instruction == "ENV":
            config.setdefault("Env", []).append(argument)
        elif instruction in ("CMD", "ENTRYPOINT"):
            words = json.loads(argument) if argument.startswith("[") else \
                ["/bin/sh", "-c", argument]
            config["Cmd" if instruction == "CMD" else "Entrypoint"] = words
        elif instruction == "EXPOSE":
            for port in argument.split():
                config.setdefault("ExposedPorts", {})[port if "/" in port else f"{port}/tcp"] = {}
        elif instruction == "VOLUME":
            for path in json.loads(argument) if argument.startswith("[") else argument.split():
                config.setdefault("Volumes", {})[path] = {}
        elif instruction == "WORKDIR":
            config["WorkingDir"] = argument
        elif instruction == "USER":
            config["User"] = argument
        elif instruction == "LABEL":
            for pair in shlex.split(argument):
                name, _, value = pair.partition("=")
                config.setdefault("Labels", {})[name] = value
        else:
            raise ValueError(f"{change!r}: not an instruction a stand-in's image config takes")
    return config


def _blob(data: bytes, media_type: str) -> tuple[dict, bytes]:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    return {"mediaType": media_type, "digest": digest, "size": len(data)}, data


def _json(value: dict) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def layout_files(rootfs: bytes, changes: list[str], tag: str = "latest") -> dict[str, bytes]:
    """The files of an OCI image layout (path -> content) holding one image: ``rootfs``
    (an uncompressed tar) as its one layer, ``changes`` as its config, ``tag`` its name."""
    layer, layer_data = _blob(gzip.compress(rootfs, mtime=0), LAYER)
    config, config_data = _blob(_json({
        "architecture": "amd64", "os": "linux", "config": image_config(changes),
        "rootfs": {"type": "layers",
                   "diff_ids": ["sha256:" + hashlib.sha256(rootfs).hexdigest()]},
    }), CONFIG)
    manifest, manifest_data = _blob(_json({
        "schemaVersion": 2, "mediaType": MANIFEST, "config": config, "layers": [layer]}),
        MANIFEST)
    manifest["annotations"] = {"org.opencontainers.image.ref.name": tag}
    files = {"oci-layout": _json({"imageLayoutVersion": "1.0.0"}),
             "index.json": _json({"schemaVersion": 2, "manifests": [manifest]})}
    for blob, data in sorted(((layer, layer_data), (config, config_data),
                              (manifest, manifest_data)), key=lambda pair: pair[0]["digest"]):
        files[f"blobs/sha256/{blob['digest'].split(':')[1]}"] = data
    return files


def write_archive(files: dict[str, bytes], path: Path) -> None:
    """A tar of ``files`` in their order (what skopeo's ``oci-archive:`` and ``docker
    load`` read), without timestamps; written beside ``path`` and renamed, so that
    ``path`` is whole when it exists."""
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as archive:
        for name in files:
            entry = tarfile.TarInfo(name)
            entry.size, entry.mode = len(files[name]), 0o644
            archive.addfile(entry, io.BytesIO(files[name]))
    partial.rename(path)


def oci_archive(rootfs_tar: Path, changes: list[str], folder: Path) -> Path:
    """``folder``/NAME-DIGEST.oci.tar for the stand-in ``rootfs_tar``, made unless it
    exists; NAME is the tarball's, DIGEST the start of its sha256 and of its changes'."""
    rootfs = rootfs_tar.read_bytes()
    inputs = hashlib.sha256(rootfs + _json({"changes": changes})).hexdigest()[:16]
    path = folder / f"{rootfs_tar.stem}-{inputs}.oci.tar"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        write_archive(layout_files(rootfs, changes), path)
    return path
