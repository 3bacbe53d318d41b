"""convexnn_lab: the hidden convex landscape of two-layer ReLU networks.

The library behind the book in ``book/``: hyperplane arrangements, the convex
program (a group Lasso), its certificates, the map back to a network, and the
non-convex baseline.  Notation follows the papers (X, y, D_i, u_i, v_i, beta);
see the notation section of chapter 00.
"""

from . import (  # noqa: F401
    activations,
    book,
    datasets,
    deep,
    geometric,
    hardness,
    images,
    landscape,
    lowrank,
    plots,
    recovery,
    relaxation,
    stationary,
    vector_output,
)
from .certificates import Certificate, certify
from .datasets import add_bias, load_dataset, toy
from .estimators import ConvexReLUClassifier, ConvexReLURegressor
from .networks import TwoLayerNetwork
from .nonconvex import gradient_norm, train_nonconvex
from .optimality import GlobalCertificate, certify_global
from .patterns import (
    cover_bound,
    enumerate_patterns,
    general_position_count,
    generalized_cross_product,
    sample_patterns,
    unique_patterns,
)
from .pricing import train_convex
from .program import ConvexProgram
from .solution import ConvexSolution, SolverResult, VectorSolution
from .solvers import choose_solver, solve_convex, solve_path

__version__ = "0.1.0"

_LAZY = ("grading", "notebooks", "cli", "check_env", "distributed")


def __getattr__(name):
    # modules with a command line load on first use, so `python -m` runs them cleanly
    if name in _LAZY:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'convexnn_lab' has no attribute {name!r}")

__all__ = [
    "Certificate",
    "ConvexProgram",
    "ConvexReLUClassifier",
    "ConvexReLURegressor",
    "ConvexSolution",
    "GlobalCertificate",
    "SolverResult",
    "VectorSolution",
    "TwoLayerNetwork",
    "add_bias",
    "certify",
    "certify_global",
    "choose_solver",
    "cover_bound",
    "enumerate_patterns",
    "general_position_count",
    "gradient_norm",
    "generalized_cross_product",
    "load_dataset",
    "sample_patterns",
    "solve_convex",
    "solve_path",
    "toy",
    "train_convex",
    "train_nonconvex",
    "unique_patterns",
]
