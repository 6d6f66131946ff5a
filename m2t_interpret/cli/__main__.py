"""``python -m m2t_interpret.cli``: the ``m2t-interpret`` command."""

import sys

from . import main

sys.exit(main())
