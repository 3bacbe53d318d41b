"""``python -m convexnn_lab.grading release solutions exercises``."""

import sys

from .release import main

sys.exit(main())
