"""convexnn_lab: the hidden convex landscape of two-layer ReLU networks.

The library behind the book in ``book/``: hyperplane arrangements, the convex
program (a group Lasso), its certificates, the map back to a network, and the
non-convex baseline.  Notation follows the papers (X, y, D_i, u_i, v_i, beta);
see the notation section of chapter 00.
"""

from ._internal import aliases as _aliases
from .core import activations, patterns  # noqa: F401  (cl.patterns.*, cl.activations.*)
from .core.certificates import Certificate, certify
from .core.networks import TwoLayerNetwork
from .core.optimality import GlobalCertificate, certify_global
from .core.patterns import (
    cover_bound,
    enumerate_patterns,
    general_position_count,
    generalized_cross_product,
    sample_patterns,
    unique_patterns,
)
from .core.program import ConvexProgram
from .core.solution import ConvexSolution, SolverResult, VectorSolution
from .core.copositive import RelaxationBound, dnn_bound
from .core.verification import PriceBound, price_exact
from .data import datasets  # noqa: F401  (cl.datasets.*)
from .data.datasets import add_bias, load_dataset, toy
from .data.tweets import load_tweets
from .solvers import choose_solver, solve_convex, solve_path
from .training.bounds import GlobalBound, global_bound
from .training.estimators import ConvexReLUClassifier, ConvexReLURegressor
from .training.nonconvex import gradient_norm, train_nonconvex
from .training.pricing import train_convex

__version__ = "0.1.0"

_aliases.install(__name__)

# modules reached as attributes (``cl.lowrank.rank_k``), loaded on first use: the
# chapters' helpers, the book, and the modules with a command line (so `python -m`
# runs them cleanly)
_LAZY = {
    **{m: f"chapters.{m}" for m in ("landscape", "lowrank", "stationary", "geometric",
                                    "images", "recovery", "relaxation", "hardness", "deep",
                                    "heads", "vector_output")},
    **{m: f"core.{m}" for m in ("losses", "program", "certificates", "solution", "networks",
                                "optimality", "verification", "copositive")},
    **{m: f"training.{m}" for m in ("pricing", "nonconvex", "estimators", "bounds")},
    "plots": "book.plots", "widgets": "book.widgets", "book": "book",
    "distributed": "parallel.distributed", "grading": "grading", "cli": "cli",
    "check_env": "check_env", "status": "status",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return importlib.import_module(f".{_LAZY[name]}", __name__)
    raise AttributeError(f"module 'convexnn_lab' has no attribute {name!r}")


__all__ = [
    "Certificate",
    "ConvexProgram",
    "ConvexReLUClassifier",
    "ConvexReLURegressor",
    "ConvexSolution",
    "GlobalBound",
    "GlobalCertificate",
    "PriceBound",
    "RelaxationBound",
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
    "dnn_bound",
    "global_bound",
    "gradient_norm",
    "generalized_cross_product",
    "load_dataset",
    "load_tweets",
    "price_exact",
    "sample_patterns",
    "solve_convex",
    "solve_path",
    "toy",
    "train_convex",
    "train_nonconvex",
    "unique_patterns",
]
