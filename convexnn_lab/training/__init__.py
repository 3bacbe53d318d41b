"""Training two-layer networks, convex and not.

=============  =====================================================================
module         what it holds
=============  =====================================================================
pricing        ``train_convex``: column generation over patterns priced from the dual
bounds         ``global_bound``: a proven lower bound over networks of any width
nonconvex      ``train_nonconvex``: the network trained by gradient descent (torch)
estimators     scikit-learn estimators ``ConvexReLURegressor`` / ``ConvexReLUClassifier``
=============  =====================================================================
"""
