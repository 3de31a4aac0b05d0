"""RKT-5's reading of a host's boot: this boot's cgroup arguments, and the next boot's
command line from grubby (EL) or grub.cfg (Debian), on recorded outputs."""

from pathlib import Path

from acceptance.boot import cgroup_arguments, next_boot_arguments

RECORDED = Path(__file__).parent / "recorded"


def recorded(name: str) -> list[str]:
    return (RECORDED / name).read_text().splitlines()


def test_the_cgroup_arguments_of_a_command_line():
    line = ("BOOT_IMAGE=(hd0,msdos1)/vmlinuz root=UUID=x ro systemd.unified_cgroup_hierarchy=0 "
            "systemd.legacy_systemd_cgroup_controller=1 cgroup_no_v1=all quiet")
    assert cgroup_arguments(line) == ["systemd.unified_cgroup_hierarchy=0",
                                      "systemd.legacy_systemd_cgroup_controller=1",
                                      "cgroup_no_v1=all"]
    assert cgroup_arguments("ro quiet\n") == []


def test_grubby_gives_the_default_entry_s_arguments():
    arguments = next_boot_arguments(recorded("grubby-info-DEFAULT.cgroup-v1.txt"))
    assert arguments[0] == "ro" and "systemd.unified_cgroup_hierarchy=0" in arguments
    assert "rd.lvm.lv=cs/swap" in arguments


def test_grub_cfg_gives_the_first_entry_s_arguments_less_the_kernel():
    arguments = next_boot_arguments(recorded("grub-cfg.debian12-fresh.txt"))
    assert arguments == ["root=UUID=5b1f0c7e-6d55-4b43-9c8f-0c2e3f1d9a77", "ro",
                         "net.ifnames=0", "console=ttyS0"]
    assert "single" not in arguments  # the recovery entry is not the default


def test_no_boot_loader_output_is_none():
    assert next_boot_arguments([]) is None
    assert next_boot_arguments(["grubby: command not found"]) is None
