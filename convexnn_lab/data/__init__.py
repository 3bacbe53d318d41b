"""Data sets: the bundled scikit-learn sets, toy and planted data, CIFAR-10 from a local
folder (``datasets``); tweets as sentence embeddings, shipped or cached (``tweets``)."""
