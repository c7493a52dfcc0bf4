"""One man page in troff, written from a click command: what its ``--help`` says, in man(7).

The page is built from the command object itself, so it cannot drift from ``--help``: the
synopsis is click's usage line, the options are click's own help records (defaults and
ranges included), and the help text is cut into man's sections by the conventions ixion's
help texts follow: a paragraph opened by click's ``\\b`` marker is printed as it stands, one
whose first line is ``Examples:`` becomes EXAMPLES, one that starts with ``Exit status``
becomes EXIT STATUS, and everything else is filled text in DESCRIPTION.

Help text is data, never markup: every line of it goes through :func:`escape`, so a help
that starts a line with ``.`` or ``'``, or holds a backslash, prints that character instead
of giving troff a request or an escape.
"""

from __future__ import annotations

import inspect
import re
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import click

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

__all__ = ["Page", "escape", "render_page"]

#: Characters troff would read as something else, spelled as the glyph they are. ``\-`` is
#: the minus sign man(7) wants for options (a bare ``-`` may be typeset as a hyphen that a
#: reader cannot paste into a shell); ``\(aq`` and ``\(ga`` keep quotes straight on UTF-8.
_ESCAPES: Final = {"\\": r"\e", "-": r"\-", "'": r"\(aq", "`": r"\(ga", '"': r"\(dq"}
#: The line click's help formatter reads as "print the next lines as they are".
_VERBATIM_MARK: Final = "\b"
_PARAGRAPH_BREAK: Final = re.compile(r"\n[ \t]*\n")
#: Wide enough that click never shortens a command's first sentence for NAME.
_SUMMARY_LIMIT: Final = 300


@dataclass(frozen=True, slots=True)
class Page:
    """One page: a command as the user types it, and where it sits in the manual."""

    #: The page's name, the command path joined by hyphens: ``ixion-report-convert``.
    name: str
    #: 1 for users' commands, 8 for the daemon and its administration.
    section: str
    #: The command with its parents, so click builds the right usage line.
    context: click.Context
    #: NAME's one-line description when the help's first sentence would not do.
    summary: str | None = None


def escape(text: str) -> str:
    """One line of plain text as a troff text line that prints exactly that text."""
    out: list[str] = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif " " <= char <= "~":
            out.append(char)
        elif ord(char) > 0x7F and char.isprintable():
            out.append(f"\\[u{ord(char):04X}]")
        elif char in "\t\xa0":
            out.append(" ")
        # Other control characters are dropped: a terminal help would not show them either.
    line = "".join(out)
    # A line opening with a control character is a request; \& is a zero-width nothing.
    return "\\&" + line if line.startswith((".", "'")) else line


def _bold(text: str) -> str:
    return f"\\fB{escape(text)}\\fR"


def _italic(text: str) -> str:
    return f"\\fI{escape(text)}\\fR"


def _name(page: Page) -> str:
    """A page's name, which troff must not hyphenate: ``\\%`` forbids it."""
    return "\\%" + escape(page.name)


def _reference(page: Page) -> str:
    return f"\\fB{_name(page)}\\fR({page.section})"


def render_page(page: Page, others: Sequence[Page], version: str) -> str:
    """The troff source of ``page``; ``others`` are the pages SEE ALSO names."""
    command = page.context.command
    description, examples, exit_status = _sections(command)
    summary = page.summary or command.get_short_help_str(_SUMMARY_LIMIT).rstrip(".")
    lines = [
        f'.TH {escape(page.name.upper())} {page.section} "" "ixion {escape(version)}" '
        '"ixion manual"',
        ".SH NAME",
        f"{_name(page)} \\- {escape(summary)}",
        ".SH SYNOPSIS",
        _bold(page.context.command_path),
        escape(" ".join(command.collect_usage_pieces(page.context))),
    ]
    if description:
        lines += [".SH DESCRIPTION", *description]
    lines += [".SH OPTIONS", *_options(page.context)]
    if isinstance(command, click.Group):
        lines += [".SH COMMANDS", *_subcommands(page, others)]
    if examples:
        lines += [".SH EXAMPLES", *examples]
    if exit_status:
        lines += [".SH EXIT STATUS", *exit_status]
    see_also = [p for p in others if p.name != page.name]
    if see_also:
        lines.append(".SH SEE ALSO")
        lines += [f".BR {_name(p)} ({p.section})," for p in see_also[:-1]]
        lines.append(f".BR {_name(see_also[-1])} ({see_also[-1].section})")
    return "\n".join(lines) + "\n"


def _sections(command: click.Command) -> tuple[list[str], list[str], list[str]]:
    """DESCRIPTION, EXAMPLES and EXIT STATUS, from the help text and the epilog."""
    text = inspect.cleandoc(command.help or "").partition("\f")[0]
    if command.epilog:
        text += "\n\n" + inspect.cleandoc(command.epilog)
    description: list[str] = []
    examples: list[str] = []
    exit_status: list[str] = []
    for verbatim, body in _paragraphs(text):
        first = body[0].strip()
        if verbatim and first == "Examples:":
            examples += _verbatim(textwrap.dedent("\n".join(body[1:])).splitlines())
        elif first.lower().startswith("exit status"):
            rest = [first.partition(":")[2], *body[1:]] if ":" in first else body
            exit_status += [".PP", *_filled(rest)]
        elif verbatim:
            description += _verbatim(body)
        else:
            description += [".PP", *_filled(body)]
    return description, examples, exit_status


def _paragraphs(text: str) -> Iterator[tuple[bool, list[str]]]:
    """Each paragraph's lines, and whether click's ``\\b`` asked for them as they are."""
    for paragraph in _PARAGRAPH_BREAK.split(text):
        lines = paragraph.splitlines()
        verbatim = bool(lines) and lines[0].strip() == _VERBATIM_MARK
        body = [line for line in lines[1:] if line.strip()] if verbatim else lines
        if any(line.strip() for line in body):
            yield verbatim, body


def _filled(lines: Sequence[str]) -> list[str]:
    # Stripped: in fill mode a line that opens with a space starts a new output line.
    return [escape(line.strip()) for line in lines if line.strip()]


def _verbatim(lines: Sequence[str]) -> list[str]:
    return [".PP", ".RS 4", ".nf", *(escape(line.rstrip()) for line in lines), ".fi", ".RE"]


def _options(ctx: click.Context) -> list[str]:
    """One tagged paragraph per option, from the record click prints in ``--help``."""
    lines: list[str] = []
    for param in ctx.command.get_params(ctx):
        record = param.get_help_record(ctx) if isinstance(param, click.Option) else None
        if record is None:
            continue
        names, help_text = record
        # click's record: "-p, --ports PORTS", or "--safe / --unsafe" for a flag pair.
        tag = " / ".join(
            ", ".join(_option_names(part) for part in side.split(", "))
            for side in names.split(" / ")
        )
        lines += [".TP", tag]
        lines += _filled([" ".join(help_text.split())])
    return lines


def _option_names(part: str) -> str:
    """``-p INTEGER RANGE``: the option in bold, what it takes in italics."""
    name, _, metavar = part.partition(" ")
    return _bold(name) + (f" {_italic(metavar)}" if metavar else "")


def _subcommands(page: Page, pages: Sequence[Page]) -> list[str]:
    group = page.context.command
    assert isinstance(group, click.Group)
    by_name = {p.name: p for p in pages}
    lines: list[str] = []
    for name in group.list_commands(page.context):
        command = group.get_command(page.context, name)
        if command is None or command.hidden:
            continue
        lines += [".TP", _bold(name), escape(command.get_short_help_str(_SUMMARY_LIMIT))]
        sub_page = by_name.get(f"{page.name}-{name}")
        if sub_page is not None:
            lines.append(f"See {_reference(sub_page)}.")
    return lines
