"""SEC-5 reads the thin pool from the kernel (dmsetup status), on lines in its format."""

import pytest

from acceptance.thin_pool import PoolStatus, parse_status

# `dmsetup status docker-thinpool`, written after the kernel's thin-provisioning.txt (the
# live checks read the real one on node1): a fresh pool, and one out of data space.
FRESH = ("0 12140544 thin-pool 1 174/1536 112/23712 - rw no_discard_passdown "
         "queue_if_no_space - 1536")
FULL = ("0 13574144 thin-pool 3 391/1536 26512/26512 - out_of_data_space no_discard_passdown "
        "queue_if_no_space - 1536")


@pytest.mark.parametrize("line, status", [
    (FRESH, PoolStatus(112, 23712, "rw")),
    (FULL, PoolStatus(26512, 26512, "out_of_data_space")),
    ("0 12140544 thin-pool Fail", PoolStatus(0, 0, "Fail")),
    ("0 2097152 linear", None),
    ("", None),
])
def test_a_thin_pool_s_status_line(line, status):
    assert parse_status(line) == status


def test_a_pool_is_full_when_out_of_data_space_or_without_a_free_block():
    assert not parse_status(FRESH).full
    assert parse_status(FULL).full
    assert PoolStatus(10, 10, "rw").full and PoolStatus(0, 0, "Fail").full
    assert round(parse_status(FRESH).percent, 2) == 0.47
