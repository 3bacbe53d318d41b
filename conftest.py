"""pytest setup shared by the unit tests and nbval."""

import os

os.environ.setdefault("TQDM_DISABLE", "1")


def pytest_collectstart(collector):
    # warnings printed to stderr are not content: never compare them
    if getattr(collector, "path", None) is not None and collector.path.suffix == ".ipynb":
        collector.skip_compare += ("stderr",)
