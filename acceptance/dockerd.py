"""What a host's dockerd was told, wherever the student told it: daemon.json, a flag in
the unit's ExecStart, or the unit's own settings.

    configured_oom_score(daemon_json, host.service("docker.service").systemd_properties)
"""

import re

from lab.settings import DAEMON_JSON


def configured_oom_score(daemon_json: dict, unit: dict) -> tuple[int, str] | None:
    """The OOM score the student gave dockerd, and where: daemon.json's
    ``oom-score-adjust``, an ``--oom-score-adjust`` flag in ExecStart, else the unit's
    ``OOMScoreAdjust=`` (``unit``: docker.service's systemd properties); None when none.

    >>> configured_oom_score({}, {"ExecStart": "{ argv[]=/usr/bin/dockerd -H fd:// "
    ...                      "--oom-score-adjust=-900 ; }", "OOMScoreAdjust": "0"})
    (-900, 'an --oom-score-adjust flag in ExecStart')
    >>> configured_oom_score({}, {"ExecStart": "", "OOMScoreAdjust": "-700"})
    (-700, "docker.service's OOMScoreAdjust=")
    """
    if "oom-score-adjust" in daemon_json:
        return int(daemon_json["oom-score-adjust"]), f"{DAEMON_JSON}'s oom-score-adjust"
    flag = re.search(r"--oom-score-adjust[= ](-?[0-9]+)", unit.get("ExecStart", ""))
    if flag:
        return int(flag.group(1)), "an --oom-score-adjust flag in ExecStart"
    if int(unit.get("OOMScoreAdjust") or 0):
        return int(unit["OOMScoreAdjust"]), "docker.service's OOMScoreAdjust="
    return None
