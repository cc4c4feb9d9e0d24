"""How the text formats meet the terminal: whether to colour, and how wide to write."""

from __future__ import annotations

import os
import sys


def use_color(choice: str, to_terminal: bool) -> bool:
    """--color always/never decide; under auto, a non-empty FORCE_COLOR turns colour on
    (force-color.org), else a non-empty NO_COLOR turns it off (no-color.org: an empty one does
    not), else colour is used when the output is a terminal."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("NO_COLOR"):
        return False
    return to_terminal


def text_width(to_stdout: bool) -> int:
    """The terminal's width when the text goes to one, else `COLUMNS` when set, else 80."""
    if to_stdout and sys.stdout.isatty():
        import shutil

        return shutil.get_terminal_size((80, 24)).columns
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) > 0 else 80
