"""Finding lab.yml's extra disks inside a node (provision/disks.py), on lsblk outputs
of both providers (tests/recorded/README.md says where each comes from)."""

import copy
import json
from pathlib import Path

import pytest

from lab.settings import Disk
from provision.disks import BlockDevices, DiskNotFound, LogicalVolume, VolumeGroup, lab_disk_device

RECORDED = Path(__file__).parent / "recorded"
DATA, THINPOOL = Disk("data", "4G", 4 * 1024**3), Disk("thinpool", "6G", 6 * 1024**3)


def devices(name: str) -> list[dict]:
    return BlockDevices().process((RECORDED / name).read_text().splitlines())


def test_libvirt_disks_are_found_by_serial():
    found = devices("lsblk-libvirt-debian12-node1.json")
    assert lab_disk_device(DATA, found) == "/dev/vdb"
    assert lab_disk_device(THINPOOL, found) == "/dev/vdc"


def test_virtualbox_disks_without_serial_are_found_by_size():
    found = devices("lsblk-virtualbox-centos9-node1.json")
    assert lab_disk_device(DATA, found) == "/dev/sdb"
    assert lab_disk_device(THINPOOL, found) == "/dev/sdc"


def test_a_size_vagrant_rounded_up_to_whole_gib_is_found():
    # data: 1536M in lab.yml is made as a 2 GiB disk by both providers.
    found = devices("lsblk-virtualbox-centos9-node1.json")
    found[1]["size"] = 2 * 1024**3
    assert lab_disk_device(Disk("data", "1536M", 1536 * 1024**2), found) == "/dev/sdb"


def test_a_disk_already_in_use_is_never_taken():
    found = copy.deepcopy(devices("lsblk-virtualbox-centos9-node1.json"))
    found[1]["fstype"] = "LVM2_member"
    with pytest.raises(DiskNotFound, match="no unused 4 GiB disk for 'data'.*/dev/sdb.*in use"):
        lab_disk_device(DATA, found)


def test_two_disks_of_the_same_size_without_serial_are_refused():
    found = devices("lsblk-virtualbox-centos9-node1.json")
    found[2]["size"] = found[1]["size"]
    with pytest.raises(DiskNotFound, match="2 unused disks of 4 GiB.*different sizes"):
        lab_disk_device(DATA, found)


def test_a_missing_lsblk_says_what_to_install():
    with pytest.raises(DiskNotFound, match="install util-linux"):
        lab_disk_device(DATA, None)


def test_a_missing_disk_says_what_was_seen():
    found = [d for d in devices("lsblk-libvirt-debian12-node1.json") if d["name"] != "vdc"]
    with pytest.raises(DiskNotFound, match=r"no unused 6 GiB disk for 'thinpool' \(seen: "
                                           r"/dev/vda \(20 GiB, in use\), /dev/vdb"):
        lab_disk_device(THINPOOL, found)


def test_logical_volume_fields_or_none():
    fact = LogicalVolume()
    assert fact.process([]) is None
    assert fact.process(["  /dev/docker/thinpool|thin-pool|docker-thinpool|monitored  "]) == {
        "lv_path": "/dev/docker/thinpool", "segtype": "thin-pool",
        "lv_profile": "docker-thinpool", "seg_monitor": "monitored"}
    assert "--select lv_full_name=docker/thinpool" in fact.command("docker/thinpool")


def test_volume_group_exists_or_not():
    assert VolumeGroup().process(["  docker"]) is True
    assert VolumeGroup().process([]) is False
    assert VolumeGroup.default() is False


def test_block_devices_parse_lsblk_json():
    text = json.dumps({"blockdevices": [{"name": "vdb", "type": "disk"}]})
    assert BlockDevices().process([text]) == [{"name": "vdb", "type": "disk"}]
