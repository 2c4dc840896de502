"""``python -m minitwophase``: the same as the ``minitwophase`` command."""
import sys

try:
    from .cli import main
except KeyboardInterrupt:           # Ctrl-C while starting: one line, exit 130 (_startup.py)
    from ._startup import interrupted_while_starting
    interrupted_while_starting()
    raise

if __name__ == "__main__":
    sys.exit(main())
