"""What a host's dockerd was told, wherever the student told it: daemon.json, a flag on
its command line (the unit's ExecStart, or a file of variables it expands), or the unit's
own settings.

    configured_oom_score(daemon_json, host.service("docker.service").systemd_properties,
                         host.file(f"/proc/{pid}/cmdline").content_string.replace("\0", " "))
"""

import re

from lab.settings import DAEMON_JSON


def configured_oom_score(daemon_json: dict, unit: dict,
                         command_line: str = "") -> tuple[int, str] | None:
    """The OOM score the student gave dockerd, and where: daemon.json's
    ``oom-score-adjust``, an ``--oom-score-adjust`` flag on dockerd's ``command_line``
    (/proc/PID/cmdline: ExecStart as systemd expanded it, with a variable of an
    EnvironmentFile= such as Debian's /etc/default/docker) or in ExecStart, else the
    unit's ``OOMScoreAdjust=`` (``unit``: docker.service's systemd properties); None when
    none.

    >>> configured_oom_score({}, {"ExecStart": "{ argv[]=/usr/bin/dockerd -H fd:// "
    ...                      "--oom-score-adjust=-900 ; }", "OOMScoreAdjust": "0"})
    (-900, "an --oom-score-adjust flag on dockerd's command line")
    >>> configured_oom_score({}, {"ExecStart": "{ argv[]=/usr/sbin/dockerd -H fd:// "
    ...                      "$DOCKER_OPTS ; }"}, "/usr/sbin/dockerd -H fd:// "
    ...                      "--oom-score-adjust=-700")
    (-700, "an --oom-score-adjust flag on dockerd's command line")
    >>> configured_oom_score({}, {"ExecStart": "", "OOMScoreAdjust": "-700"})
    (-700, "docker.service's OOMScoreAdjust=")
    """
    if "oom-score-adjust" in daemon_json:
        return int(daemon_json["oom-score-adjust"]), f"{DAEMON_JSON}'s oom-score-adjust"
    flag = re.search(r"--oom-score-adjust[= ](-?[0-9]+)",
                     f"{command_line} {unit.get('ExecStart', '')}")
    if flag:
        return int(flag.group(1)), "an --oom-score-adjust flag on dockerd's command line"
    if int(unit.get("OOMScoreAdjust") or 0):
        return int(unit["OOMScoreAdjust"]), "docker.service's OOMScoreAdjust="
    return None
