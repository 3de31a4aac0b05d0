"""What a host's kernel boots with, now and next time (RKT-5): the cgroup arguments of
this boot, and the command line the boot loader gives the default entry.

    >>> cgroup_arguments("BOOT_IMAGE=/vmlinuz ro systemd.unified_cgroup_hierarchy=0 quiet")
    ['systemd.unified_cgroup_hierarchy=0']
    >>> next_boot_arguments(['args="ro quiet systemd.unified_cgroup_hierarchy=0"'])
    ['ro', 'quiet', 'systemd.unified_cgroup_hierarchy=0']
"""

from __future__ import annotations

import shlex

# The kernel arguments that choose which cgroup hierarchy systemd mounts.
CGROUP_KEYS = ("systemd.unified_cgroup_hierarchy", "systemd.legacy_systemd_cgroup_controller",
               "cgroup_no_v1")
# grubby (EL) prints the default entry; elsewhere GRUB's generated configuration, whose
# first `linux` line is the default entry's unless GRUB_DEFAULT says otherwise.
NEXT_BOOT_COMMAND = ("grubby --info=DEFAULT 2>/dev/null || cat /boot/grub/grub.cfg "
                     "/boot/grub2/grub.cfg 2>/dev/null")


def cgroup_arguments(cmdline: str) -> list[str]:
    """The arguments of a kernel command line that choose the cgroup hierarchy."""
    return [argument for argument in cmdline.split()
            if argument.split("=", 1)[0] in CGROUP_KEYS]


def next_boot_arguments(lines: list[str]) -> list[str] | None:
    """The kernel arguments of the boot loader's default entry, from ``grubby
    --info=DEFAULT`` (``args="…"``) or a grub.cfg (its first ``linux`` line, less the
    kernel's path); None when the output has neither."""
    for line in lines:
        if line.startswith("args="):
            return shlex.split(line.removeprefix("args="))[0].split() if line[5:] else []
        words = line.split()
        if words and words[0] in ("linux", "linux16", "linuxefi"):
            return words[2:]
    return None
