"""Data sets: the bundled scikit-learn sets, toy and planted data, CIFAR-10 from a local
folder (``datasets``)."""
