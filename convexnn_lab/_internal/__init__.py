"""Private helpers the layers above share: argument checks (``validation``), free memory
(``memory``), progress bars (``progress``), torch threads (``threads``), CVXPY's solver
choice (``cvxpy``), the ranks' communicator (``comm``) and the old module paths
(``aliases``).  Nothing here is public API; nothing here imports the layers above.
"""
