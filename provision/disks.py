"""The lab's extra disks inside a node, and the LVM made on them.

lab.yml gives each node extra disks by name (``data`` for /data, DCFG-3;
``thinpool`` for devicemapper, SEC-4). Inside the VM a disk is found by its
serial where the provider sets one (libvirt: ``serial: data``), else as the one
unused whole disk of its size (VirtualBox sets no serial; both providers make
disks of whole GiB, Vagrant rounding lab.yml's size up). In a deploy:

    lab_disk_device(Disk("data", "4G", 4 * 1024**3), host.get_fact(BlockDevices))
    # -> '/dev/vdb'
"""

from __future__ import annotations

import json

from pyinfra import host
from pyinfra.api import FactBase
from pyinfra.api.exceptions import OperationError

from lab.settings import Disk

# DCFG-3: /data's volume, VG "data", LV "docker", made on the node's `data` disk.
DATA_VG, DATA_LV = "data", "docker"
# SEC-4: the names Docker's "Configure direct-lvm mode manually" uses, on the `thinpool` disk.
THIN_POOL_VG, THIN_POOL = "docker", "docker/thinpool"
THIN_POOL_DEVICE = "/dev/mapper/docker-thinpool"


class BlockDevices(FactBase):
    """The node's block devices, as ``lsblk --json`` lists them (children nested).

        host.get_fact(BlockDevices)[1]
        # -> {'name': 'vdb', 'path': '/dev/vdb', 'size': 4294967296, 'type': 'disk',
        #     'serial': 'data', 'fstype': None}
    """

    def command(self) -> str:
        return "lsblk --json --bytes --output NAME,PATH,SIZE,TYPE,SERIAL,FSTYPE"

    def requires_command(self) -> str:
        # Missing lsblk gives the default, None: lab_disk_device says to install it.
        return "lsblk"

    def process(self, output) -> list[dict]:
        return json.loads("\n".join(output))["blockdevices"]


class LogicalVolume(FactBase):
    """Fields of one LVM logical volume (``lvs``), or None when it does not exist.

        host.get_fact(LogicalVolume, "docker/thinpool")
        # -> {'lv_path': '/dev/docker/thinpool', 'segtype': 'thin-pool',
        #     'lv_profile': 'docker-thinpool', 'seg_monitor': 'monitored'}
    """

    FIELDS = ("lv_path", "segtype", "lv_profile", "seg_monitor")

    def command(self, volume: str) -> str:
        # --select, unlike naming the volume, exits 0 with no output when it is absent.
        return (f"lvs --noheadings --separator '|' -o {','.join(self.FIELDS)} "
                f"--select lv_full_name={volume}")

    def requires_command(self, volume: str) -> str:
        # Without LVM's tools there is no volume yet: the default, None, is right.
        return "lvs"

    def process(self, output) -> dict | None:
        lines = [line.strip() for line in output if line.strip()]
        if not lines:
            return None
        return dict(zip(self.FIELDS, (value.strip() for value in lines[0].split("|")),
                        strict=True))


class VolumeGroup(FactBase):
    """Whether an LVM volume group exists (``vgs NAME``)."""

    def command(self, group: str) -> str:
        return f"vgs --noheadings -o vg_name --select vg_name={group}"

    def requires_command(self, group: str) -> str:
        return "vgs"

    @staticmethod
    def default() -> bool:
        return False

    def process(self, output) -> bool:
        return any(line.strip() for line in output)


class PhysicalVolume(FactBase):
    """The volume group of the LVM physical volume ``device``: its name, '' for a PV in
    no group, or None when ``device`` is no PV.

        host.get_fact(PhysicalVolume, "/dev/vdb")    # -> 'vg_data'
    """

    def command(self, device: str) -> str:
        # --select, unlike naming the device, exits 0 with no output when it is no PV.
        return f"pvs --noheadings -o pv_name,vg_name --select pv_name={device}"

    def requires_command(self, device: str) -> str:
        return "pvs"

    def process(self, output) -> str | None:
        for line in output:
            fields = line.split()
            if fields:
                return fields[1] if len(fields) > 1 else ""
        return None


def used_disk(node: str, disk: str, device: str, found: dict, group: str | None,
              expected: str) -> str | None:
    """What to tell when lab disk ``disk`` (``device``, its ``BlockDevices`` entry
    ``found``, the VG ``group`` when it is a PV) already holds something the lab did not
    make; None when it is blank. ``expected``: what the lab makes there.

    >>> print(used_disk("node1", "data", "/dev/vdb", {"fstype": "LVM2_member"}, "vg_data",
    ...                 "VG data with LV docker for /data (DCFG-3)"))
    node1's data disk /dev/vdb is already used: it is an LVM physical volume of volume group
    vg_data. The lab makes VG data with LV docker for /data (DCFG-3) on a blank disk. Either
    keep your own setup, if it meets the TP (grade it: `pytest acceptance/`), and stop
    provisioning this node with the reference lab; or free the disk, which destroys what it
    holds: `vgremove -f vg_data && pvremove /dev/vdb`, then `vagrant provision node1`.
    """
    if group is not None:
        what = (f"an LVM physical volume of volume group {group}" if group
                else "an LVM physical volume")
        free = f"`{'vgremove -f ' + group + ' && ' if group else ''}pvremove {device}`"
    elif found.get("fstype"):
        what, free = f"a file system ({found['fstype']})", f"`wipefs -a {device}` (unmounted)"
    elif found.get("children"):
        what, free = "a partitioned disk", f"`wipefs -a {device}` (its partitions unmounted)"
    else:
        return None
    return (f"{node}'s {disk} disk {device} is already used: it is {what}. The lab makes "
            f"{expected} on a blank disk. Either keep your own setup, if it meets the TP "
            f"(grade it: `pytest acceptance/`), and stop provisioning this node with the "
            f"reference lab; or free the disk, which destroys what it holds: {free}, then "
            f"`vagrant provision {node}`.")


def refuse_used_disk(disk: Disk, device: str, expected: str) -> None:
    """Fails the operation, saying what was found, what was expected and the choices,
    when lab disk ``disk`` (at ``device``) already holds something."""
    found = next((d for d in host.get_fact(BlockDevices) or [] if d.get("path") == device), {})
    said = used_disk(host.name, disk.name, device, found,
                     host.get_fact(PhysicalVolume, device), expected)
    if said:
        raise OperationError(said)


class DiskNotFound(LookupError):
    """No single device is the lab disk; the message says what was seen and what to do."""


def _disks(devices: list[dict]) -> list[dict]:
    return [device for device in devices if device.get("type") == "disk"]


def lab_disk_device(disk: Disk, devices: list[dict] | None) -> str:
    """The path of lab disk ``disk`` among ``devices`` (``BlockDevices``).

    By serial first; else the unused whole disk (no partition, no filesystem or
    LVM signature) of the size the provider made, ``disk.gib`` GiB.
    Raises DiskNotFound when there is none or more than one.
    """
    if devices is None:
        raise DiskNotFound("lsblk is missing on the node: install util-linux "
                           "(`dnf install util-linux` / `apt install util-linux`).")
    by_serial = [d for d in _disks(devices) if (d.get("serial") or "") == disk.name]
    if len(by_serial) == 1:
        return by_serial[0]["path"]
    size = disk.gib * 1024**3
    unused = [d for d in _disks(devices)
              if int(d["size"]) in (size, disk.bytes) and not d.get("children")
              and not d.get("fstype")]
    if len(unused) == 1:
        return unused[0]["path"]
    seen = ", ".join(f"{d['path']} ({int(d['size']) / 1024**3:g} GiB"
                     f"{', serial ' + d['serial'] if d.get('serial') else ''}"
                     f"{', in use' if d.get('children') or d.get('fstype') else ''})"
                     for d in _disks(devices)) or "no disk"
    if unused:
        raise DiskNotFound(
            f"{len(unused)} unused disks of {disk.gib} GiB could be the '{disk.name}' disk "
            f"({seen}): give the node's disks different sizes in lab.yml, or use a provider "
            "that sets disk serials (libvirt).")
    raise DiskNotFound(
        f"no unused {disk.gib} GiB disk for '{disk.name}' (seen: {seen}): check lab.yml's "
        "disk sizes, then `vagrant destroy` and `vagrant up` to attach the disks again.")


def lab_disk(disk: Disk) -> str:
    """The device of lab disk ``disk`` on the node being provisioned; fails the
    operation with what was seen and what to do when there is not exactly one."""
    try:
        return lab_disk_device(disk, host.get_fact(BlockDevices))
    except DiskNotFound as error:
        raise OperationError(f"{host.name} (lab.yml nodes.{host.name}.disks.{disk.name}): "
                             f"{error}") from None
