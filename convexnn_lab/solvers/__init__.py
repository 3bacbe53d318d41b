"""Solvers of the convex program behind one interface (chapter 2).

``solve_convex`` (``api``) validates the data once into a :class:`ConvexProgram`, takes
the method from the registry, runs it and certifies what it returns.

=========  ============================================================  =============
method     what it is                                                    module
=========  ============================================================  =============
"cvxpy"    CVXPY + Clarabel (SCS if Clarabel is missing): the reference  conic
"ipm"      primal-dual interior point in torch, both programs, float64   interior
"fista"    accelerated proximal gradient in torch, gated ReLU            fista
"al"       augmented Lagrangian (cones), each subproblem by FISTA        al
"auto"     choose_solver's method, then the other exact one if needed    policy
=========  ============================================================  =============

The other modules: ``registry`` (each method as an object: what it supports, whether a
program fits, how it solves; the certification of its result), ``options`` (the shared
settings), ``policy`` (the "auto" rule, its fallbacks and the advice of a stop warning),
``proximal`` (the skeleton FISTA and the AL share: setup, iterate, certificate, polish,
finalize; ``first_order.solve`` picks one), ``budget`` (memory and flop estimates),
``polish`` (the Newton polish on the support), ``phases`` (where the time went).
"""

from __future__ import annotations

from .api import SOLVERS, carry_over, solve_convex, solve_path
from .options import SolveOptions
from .policy import AUTO_FAST_CONES, AUTO_FAST_SIZE, Auto, choose_solver
from .registry import AL, CVXPY, FISTA, IPM, REGISTRY, Solver, wrap

__all__ = ["AL", "AUTO_FAST_CONES", "AUTO_FAST_SIZE", "Auto", "CVXPY", "FISTA", "IPM",
           "REGISTRY", "SOLVERS", "SolveOptions", "Solver", "carry_over", "choose_solver",
           "solve_convex", "solve_path", "wrap"]
