"""``python -m minitwophase``: the same as the ``minitwophase`` command."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
