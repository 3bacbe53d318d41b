"""Old flat module paths (``convexnn_lab.patterns``) as aliases of their new homes.

``import convexnn_lab.patterns`` (or ``from convexnn_lab.widgets import ...``) keeps
working for code written before the package was split into layers: the import returns
the module that now lives at ``convexnn_lab.core.patterns`` and warns once with a
``DeprecationWarning`` naming the new path.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings

# old name under convexnn_lab -> new dotted path under convexnn_lab
MOVED = {
    **{m: f"core.{m}" for m in ("activations", "losses", "patterns", "program",
                                "certificates", "solution", "networks", "optimality")},
    **{m: f"training.{m}" for m in ("pricing", "nonconvex", "estimators")},
    **{m: f"chapters.{m}" for m in ("landscape", "lowrank", "stationary", "geometric",
                                    "images", "recovery", "relaxation", "hardness", "deep",
                                    "vector_output")},
    "plots": "book.plots", "widgets": "book.widgets", "notebooks": "book.build",
    "site": "book.site", "distributed": "parallel.distributed", "datasets": "data.datasets",
}


class _AliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``convexnn_lab.<old>`` and hands back the module at its new path."""

    def __init__(self, package: str):
        self.prefix = package + "."

    def find_spec(self, fullname, path=None, target=None):
        old = fullname[len(self.prefix):] if fullname.startswith(self.prefix) else None
        if old not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        new = self.prefix + MOVED[spec.name[len(self.prefix):]]
        warnings.warn(f"{spec.name} moved to {new}; import it from there",
                      DeprecationWarning, stacklevel=3)
        module = importlib.import_module(new)
        self._spec = module.__spec__
        return module

    def exec_module(self, module):
        # the import machinery stamped the alias's spec on the real module: put its own back
        module.__spec__ = self._spec


def install(package: str) -> None:
    """Register the finder once for `package` (the top-level ``__init__`` calls it)."""
    if not any(isinstance(f, _AliasFinder) for f in sys.meta_path):
        sys.meta_path.append(_AliasFinder(package))
