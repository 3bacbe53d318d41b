"""One helper module per chapter: the computations a chapter explains and plots.

=======  ==================================  =================================
chapter  title                               module
=======  ==================================  =================================
00       the non-convex landscape            ``landscape``
03       low-rank approximation              ``lowrank``
04       stationary points                   ``stationary``
05       geometric algebra                   ``geometric``
06       image data, vector outputs          ``images``, ``vector_output``
07       the planted model and the path      ``recovery``
08       hardness and the gated relaxation   ``hardness``, ``relaxation``
09       deep and parallel networks          ``deep``
=======  ==================================  =================================

Chapters 01 and 02 need nothing beyond the core and the solvers.  These modules
import the core, the solvers and training; nothing below them imports these.
"""
