"""The examples in the acceptance suite's docstrings, run here: collected under
acceptance/, they would need a graded host (acceptance/conftest.py leaves them out)."""

import doctest
import importlib

import pytest

from lab.settings import REPO

MODULES = sorted(f"acceptance.{path.stem}" for path in (REPO / "acceptance").glob("*.py")
                 if ">>> " in path.read_text())


@pytest.mark.parametrize("name", MODULES)
def test_the_examples_in_the_docstrings(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.attempted and not result.failed, result
