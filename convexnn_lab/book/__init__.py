"""The book around the library: one setup call per chapter, figures, widgets, building
the executed notebooks and the website.

=======  =====================================================================
module   what it holds
=======  =====================================================================
setup    ``setup(seed)``: seeds, print options, one thread; ``device()``
plots    every figure of the chapters
widgets  the interactive explorers (ipywidgets)
build    ``python -m convexnn_lab.book.build``: MyST source -> executed ``.ipynb``
site     ``convexnn-lab site``: the book as a static website
=======  =====================================================================
"""

from .setup import device, setup

__all__ = ["device", "setup"]
