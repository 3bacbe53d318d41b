"""The core: the convex program of a two-layer network and what proves it solved.

=============  =====================================================================
module         what it holds (notation of chapter 00)
=============  =====================================================================
activations    sigma (ReLU, leaky ReLU, absolute value) and its slopes on a pattern
losses         the squared and logistic losses, their gradients and conjugates
patterns       the arrangement patterns D_i: enumeration, sampling, cross products
program        ``ConvexProgram``: X, y, beta and the patterns, validated once
certificates   ``Certificate``: the dual point, the gap, the cone violation
solution       ``ConvexSolution`` / ``SolverResult``: a solve's typed result
networks       ``TwoLayerNetwork``: the network a solution maps to, its objective L
optimality     ``certify_global``: the dual constraint over all patterns of X
verification   ``price_exact``: the dual constraint over all u, by branch and bound
=============  =====================================================================

Core imports nothing from ``solvers``, ``training``, ``chapters`` or ``book``.
"""
