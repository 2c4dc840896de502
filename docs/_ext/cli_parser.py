"""The command's parser, as the CLI reference page renders it (sphinx-argparse).

The parser is ``minitwophase.cli.build_parser()`` itself; only its text is made safe for
reStructuredText, which sphinx-argparse parses it as: a norm written |g| would be a
substitution, and the top-level epilog (a small aligned table of commands) is kept verbatim.
"""
from __future__ import annotations

import argparse
import re
import textwrap

from minitwophase.cli import build_parser

_BARS = re.compile(r"\|([^|\n]{1,40}?)\|")


def _rst(text):
    return _BARS.sub(r"\\|\1\\|", text) if isinstance(text, str) else text


def _clean(parser):
    parser.description = _rst(parser.description)
    for action in parser._actions:
        action.help = _rst(action.help)
        if isinstance(action, argparse._SubParsersAction):
            for choice in getattr(action, "_choices_actions", []):
                choice.help = _rst(choice.help)
            for sub in action.choices.values():
                _clean(sub)


def parser():
    """``minitwophase``'s parser, its help text escaped for reStructuredText."""
    p = build_parser()
    _clean(p)
    if p.epilog:
        p.epilog = "::\n\n" + textwrap.indent(p.epilog, "    ")
    return p
