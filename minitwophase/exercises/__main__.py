"""``python -m minitwophase.exercises``: see :mod:`minitwophase.exercises.command`."""
import sys

from .command import main

sys.exit(main())
