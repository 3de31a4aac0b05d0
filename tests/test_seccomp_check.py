"""SEC-3's check (acceptance/seccomp.py): Moby's profile of any release passes; Docker's
"allow everything", a hand-made short list or a profile that allows what Moby refuses
do not."""

import copy
import json

from acceptance.seccomp import allowed_syscalls, differs_from_moby
from lab.settings import load, seccomp_profile

MOBY = json.loads(seccomp_profile(load().versions.moby_seccomp).read_text())


def test_the_pinned_release_is_mobys():
    assert differs_from_moby(copy.deepcopy(MOBY), MOBY) is None


def test_a_later_release_that_allows_a_few_more_syscalls_is_mobys():
    later = copy.deepcopy(MOBY)
    later["syscalls"].append({"names": ["cachestat", "fchmodat2", "map_shadow_stack",
                                        "futex_wake", "futex_wait"], "action": "SCMP_ACT_ALLOW"})
    assert differs_from_moby(later, MOBY) is None


def test_allowing_everything_is_not_mobys():
    problem = differs_from_moby({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": []}, MOBY)
    assert problem.startswith("its default action is 'SCMP_ACT_ALLOW'")


def test_a_short_hand_made_list_is_not_mobys():
    short = {"defaultAction": "SCMP_ACT_ERRNO",
             "syscalls": [{"names": ["read", "write", "exit_group"], "action": "SCMP_ACT_ALLOW"}]}
    assert "syscalls either allows differ" in differs_from_moby(short, MOBY)


def test_allowing_what_moby_refuses_is_not_mobys():
    loose = copy.deepcopy(MOBY)
    refused = sorted({"mount", "umount2", "reboot", "kexec_load", "init_module", "bpf",
                      "unshare", "setns", "ptrace", "swapon", "swapoff", "pivot_root",
                      "delete_module", "finit_module", "acct", "settimeofday", "clock_settime",
                      "open_by_handle_at", "perf_event_open", "keyctl", "add_key",
                      "request_key", "lookup_dcookie", "quotactl", "syslog", "vhangup",
                      "userfaultfd", "iopl", "ioperm", "create_module", "get_kernel_syms",
                      "nfsservctl", "query_module", "sysfs", "_sysctl", "uselib", "ustat",
                      "vm86", "vm86old", "name_to_handle_at", "fsopen", "fsmount",
                      "move_mount", "open_tree", "fspick", "fsconfig"})
    loose["syscalls"].append({"names": refused, "action": "SCMP_ACT_ALLOW"})
    problem = differs_from_moby(loose, MOBY)
    assert problem.startswith("it allows acct, bpf, clock_settime, delete_module, ")
    assert problem.endswith("to every process, which Moby allows only with a capability")


def test_allowing_one_capability_gated_syscall_to_everyone_is_not_mobys():
    loose = copy.deepcopy(MOBY)
    loose["syscalls"].append({"names": ["mount"], "action": "SCMP_ACT_ALLOW"})
    assert allowed_syscalls(loose) == allowed_syscalls(MOBY)  # no drift: the rule is what
    assert differs_from_moby(loose, MOBY).startswith("it allows mount to every process")
