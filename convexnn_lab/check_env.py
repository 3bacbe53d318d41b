"""``python -m convexnn_lab.check_env``: is everything the book needs installed?"""

from __future__ import annotations

import importlib
import sys

REQUIRED = {
    "numpy": None, "scipy": None, "cvxpy": None, "clarabel": None, "torch": "2.13.0",
    "sklearn": None, "matplotlib": None, "ipywidgets": None, "jupytext": None,
    "tqdm": None, "nbformat": None, "nbclient": None,
    "jupyterlab": None, "jupyterlab_widgets": None,  # reading the book, the explorers
}
# JupyterLab front-end extensions the book needs: (package, what it is for)
LAB_EXTENSIONS = {"@jupyter-widgets/jupyterlab-manager": "ipywidgets in JupyterLab"}


def lab_extension_path(name: str):
    """The folder of the installed JupyterLab extension `name`, or None."""
    from pathlib import Path

    from jupyter_core.paths import jupyter_path

    for root in jupyter_path("labextensions"):
        if (Path(root) / name / "package.json").is_file():
            return Path(root) / name
    return None
OPTIONAL = {"nbval": None, "nbgrader": "0.9.6", "pytest": None}


def check() -> bool:
    ok = True
    for group, mods in (("required", REQUIRED), ("tests/instructors", OPTIONAL)):
        for name, want in mods.items():
            try:
                mod = importlib.import_module(name)
                version = getattr(mod, "__version__", "?")
                good = want is None or str(version).split("+")[0] == want
                tag = "OK" if good else "FAIL"
                extra = "" if good else f" (expected {want})"
                print(f"[{tag}] {name} {version}{extra}")
                ok &= good or group != "required"
            except ImportError:
                print(f"[FAIL] {name} missing ({group})")
                ok &= group != "required"
    for name, why in LAB_EXTENSIONS.items():
        try:
            where = lab_extension_path(name)
        except ImportError:
            where = None
        if where is None:
            print(f"[FAIL] JupyterLab extension {name} missing ({why}); "
                  "pip install jupyterlab_widgets")
            ok = False
        else:
            print(f"[OK] JupyterLab extension {name} ({why})")
    _check_text_extra()
    import cvxpy

    solvers = cvxpy.installed_solvers()
    has = "CLARABEL" in solvers
    print(f"[{'OK' if has else 'FAIL'}] cvxpy solvers: {', '.join(solvers)}")
    import torch

    print(f"[OK] torch device: {'cuda' if torch.cuda.is_available() else 'cpu'}")
    print(f"[OK] python {sys.version.split()[0]}")
    return ok and has


def _check_text_extra() -> None:
    """The optional text extra (chapter 10 at full scale): reported, never a failure."""
    from .data.tweets import INSTALL, text_extra_problems

    problems = text_extra_problems()
    if problems:
        print(f"[--] optional text extra (all 37,243 tweets, embedding new text): "
              f"{'; '.join(problems)}; to add it: {INSTALL}")
    else:
        print("[OK] optional text extra (all 37,243 tweets, embedding new text)")


if __name__ == "__main__":
    sys.exit(0 if check() else 1)
