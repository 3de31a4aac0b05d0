"""Whether a seccomp profile is the one the Moby project recommends (SEC-3), whichever
release of it the host installed: Moby's default action, nothing Moby keeps for callers
with a capability (mount, bpf, …) allowed to every process, and the syscalls it allows
within a tenth of the lab's pinned release (each release allows a few more).

    problem = differs_from_moby(json.loads(installed), json.loads(pinned))   # None: Moby's
"""

# Of the syscalls either profile allows, at most this share may differ.
RELEASE_DRIFT = 0.1


def allowed_syscalls(profile: dict) -> set[str]:
    """The syscalls a profile allows by any of its rules (whatever their conditions)."""
    return {name for rule in profile.get("syscalls") or []
            if rule.get("action") == "SCMP_ACT_ALLOW" for name in rule.get("names") or []}


def _allowed_by(profile: dict, keep) -> set[str]:
    return {name for rule in profile.get("syscalls") or []
            if rule.get("action") == "SCMP_ACT_ALLOW" and keep(rule)
            for name in rule.get("names") or []}


def allowed_to_everyone(profile: dict) -> set[str]:
    """The syscalls a profile allows without condition on the caller's capabilities or the
    call's arguments (a rule for some architectures or kernels counts)."""
    return _allowed_by(profile, lambda rule: not rule.get("args") and not any(
        (rule.get(side) or {}).get("caps") for side in ("includes", "excludes")))


def allowed_with_a_capability(profile: dict) -> set[str]:
    """The syscalls a profile allows to a caller with some capability (CAP_SYS_ADMIN …)."""
    return _allowed_by(profile, lambda rule: (rule.get("includes") or {}).get("caps"))


def differs_from_moby(installed: dict, moby: dict) -> str | None:
    """What makes ``installed`` another profile than ``moby``'s (any release), or None."""
    if installed.get("defaultAction") != moby["defaultAction"]:
        return (f"its default action is {installed.get('defaultAction')!r}, not Moby's "
                f"{moby['defaultAction']!r} (refuse what is not allowed)")
    loosened = allowed_to_everyone(installed) & (allowed_with_a_capability(moby)
                                                 - allowed_to_everyone(moby))
    if loosened:
        return (f"it allows {', '.join(sorted(loosened))} to every process, which Moby allows "
                "only with a capability")
    theirs, ours = allowed_syscalls(installed), allowed_syscalls(moby)
    differ = theirs ^ ours
    if len(differ) > RELEASE_DRIFT * len(theirs | ours):
        return (f"{len(differ)} of the {len(theirs | ours)} syscalls either allows differ "
                f"(e.g. {', '.join(sorted(differ)[:6])}): more than between Moby's releases")
    return None
