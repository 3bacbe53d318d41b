"""pytest setup shared by the unit tests and nbval."""

import os

import pytest

os.environ.setdefault("TQDM_DISABLE", "1")


def pytest_collectstart(collector):
    # warnings printed to stderr are not content: never compare them
    if getattr(collector, "path", None) is not None and collector.path.suffix == ".ipynb":
        collector.skip_compare += ("stderr",)


def pytest_collection_modifyitems(config, items):
    # the notebooks are the slow part: `python -m pytest -m "not slow"` is the unit tests
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.slow)
