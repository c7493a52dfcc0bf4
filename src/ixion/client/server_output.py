"""How ``ixion plugins`` and ``ixion sessions`` print: a table for a person, lines for a pipe.

On a terminal the rows become a rich table (colours unless ``NO_COLOR``). Anywhere else each
row is one line of tab-separated fields, written in one pass with no rich rendering per row,
so ``ixion plugins list ... | grep`` over a 136,000-plugin feed costs the time of the
login, not of the printing; ``--json`` gives the same rows as one JSON array, one object
per line.

What a server sent is shown escaped (:func:`~ixion.client.report_view.printable`), never
interpreted by the terminal, and a tab or line end inside a field becomes a space so that a
line stays one row.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from typing import TYPE_CHECKING, Final

from rich.table import Table
from rich.text import Text

from ixion.client.report_view import make_console, printable

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping, Sequence

__all__ = ["pipe_may_close", "print_facts", "print_json", "print_json_array", "print_rows"]

_SPACES: Final = str.maketrans({"\t": " ", "\n": " ", "\r": " "})


def _cell(text: str) -> str:
    return printable(text.translate(_SPACES))


def print_rows(headers: Sequence[str], rows: Iterable[Sequence[str]], *, title: str) -> int:
    """Print ``rows`` as a table on a terminal, else as tab-separated lines; how many."""
    console = make_console()
    count = 0
    if not console.is_terminal:
        lines = _plain_lines(list(rows))
        with pipe_may_close():
            sys.stdout.write(lines)
            sys.stdout.flush()
        return lines.count("\n")
    table = Table(*headers, title=title, title_justify="left", expand=False)
    for row in rows:
        table.add_row(*(Text(_cell(field)) for field in row))
        count += 1
    console.print(table)
    return count


def _plain_lines(rows: Sequence[Sequence[str]]) -> str:
    """The rows as tab-separated lines, each ending in a newline.

    Joined first and made printable in one pass (``printable`` leaves tabs and newlines
    alone): a whole feed is 136,000 rows. Only if a field holds a tab or a line end, which
    the counts below tell, is each field cleaned on its own.
    """
    if not rows:
        return ""
    text = "\n".join(map("\t".join, rows))
    tabs = sum(map(len, rows)) - len(rows)
    if text.count("\t") != tabs or text.count("\n") != len(rows) - 1 or "\r" in text:
        return "".join("\t".join(map(_cell, row)) + "\n" for row in rows)
    return printable(text) + "\n"


def print_facts(facts: Sequence[tuple[str, str]], *, title: str) -> None:
    """``name: value`` lines (a two-column table on a terminal); a value with several lines
    is indented under its name."""
    console = make_console()
    if not console.is_terminal:
        with pipe_may_close():
            for name, value in facts:
                lines = [printable(line) for line in value.splitlines()]
                if len(lines) > 1:
                    sys.stdout.write(f"{name}:\n" + "".join(f"    {x}\n" for x in lines))
                else:
                    sys.stdout.write(f"{name}: {''.join(lines)}\n")
            sys.stdout.flush()
        return
    table = Table(show_header=False, title=title, title_justify="left", box=None)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for name, value in facts:
        table.add_row(name, Text(printable(value)))
    console.print(table)


def print_json(value: Sequence[Mapping[str, object]] | Mapping[str, object]) -> None:
    """``value`` as indented JSON (one document), for scripts and ``jq``."""
    with pipe_may_close():
        json.dump(value, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        sys.stdout.flush()


def print_json_array(parts: Iterable[str]) -> None:
    """One JSON array, written as its ``parts`` come: each part one or more elements,
    JSON texts already, joined by ``,\n`` (a whole feed's plugins are 45 MB of JSON)."""
    with pipe_may_close():
        opening = "[\n"
        for part in parts:
            if part:
                sys.stdout.write(opening + part)
                opening = ",\n"
        sys.stdout.write("[]\n" if opening == "[\n" else "\n]\n")
        sys.stdout.flush()


@contextlib.contextmanager
def pipe_may_close() -> Iterator[None]:
    """``ixion plugins list URL | head``: the reader leaving early is no error.

    The rest of the output goes to /dev/null, so that the interpreter's own flush at exit
    does not complain about the closed pipe either.
    """
    try:
        yield
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
