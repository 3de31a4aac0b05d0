"""How full a device-mapper thin pool is, from the kernel (``dmsetup status``): read even
when the pool is out of space and every write to it queues (SEC-5).

    >>> status = parse_status("0 12578816 thin-pool 1 171/1024 12/24576 - rw "
    ...                       "no_discard_passdown queue_if_no_space - 1024")
    >>> status.used, status.total, status.mode, status.full
    (12, 24576, 'rw', False)
"""

from __future__ import annotations

from typing import NamedTuple


class PoolStatus(NamedTuple):
    used: int  # data blocks in use
    total: int  # data blocks in the pool
    mode: str  # rw, ro, out_of_data_space, or Fail

    @property
    def percent(self) -> float:
        return 100.0 * self.used / self.total if self.total else 100.0

    @property
    def full(self) -> bool:
        """No data block left: writes queue (or fail) until the pool grows or is freed."""
        return self.mode != "rw" or self.used >= self.total


def parse_status(line: str) -> PoolStatus | None:
    """A thin-pool target's ``dmsetup status`` line (the kernel's thin-provisioning.txt:
    START LENGTH thin-pool TRANSACTION META_USED/META_TOTAL DATA_USED/DATA_TOTAL HELD MODE
    …); None for another target or an unreadable line."""
    fields = line.split()
    if len(fields) < 4 or fields[2] != "thin-pool":
        return None
    if fields[3] == "Fail":
        return PoolStatus(0, 0, "Fail")
    try:
        used, total = (int(value) for value in fields[5].split("/"))
        return PoolStatus(used, total, fields[7])
    except (IndexError, ValueError):
        return None


def pool_status(host, pool: str) -> PoolStatus | None:
    """The status of the thin pool ``pool`` (``docker info``'s Pool Name), or None when
    dmsetup does not show it as a thin pool."""
    shown = host.run(f"timeout 20 dmsetup status {pool}")
    return parse_status(shown.stdout.strip()) if shown.rc == 0 else None
