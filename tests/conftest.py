"""Fixtures shared by the unit tests."""

import pytest

from lab.settings import load


@pytest.fixture
def offline():
    """lab.yml's settings as this project's CI runs them: Debian 12, Debian's Docker, the
    image stand-ins (LAB_* as .ci/run sets them)."""
    return load(environ={"LAB_IMAGES": "offline", "LAB_ENGINE": "distribution",
                         "LAB_DISTRIBUTION": "debian-12"})
