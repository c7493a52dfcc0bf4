"""``ixion man`` and ``ixion completion``: a page per command that groff reads cleanly and that
lists the command's own options, and shell completion through ``ixion``'s own dispatch."""

from __future__ import annotations

import os
import re
import subprocess
import tomllib
from pathlib import Path
from typing import Final

import click
import pytest
from click.testing import CliRunner

from ixion.app.main import ixion_group
from ixion.app.manpages import INSTALLED
from ixion.app.troff import Page, escape, render_page
from ixion.client.cli import batch
from ixion.nasl import cli as nasl_cli
from ixion.server import admin, daemon, mkcert
from tests.app.helpers import IXION

ROOT: Final = Path(__file__).resolve().parents[2]
#: Every console script but ``ixion`` (a dispatcher, documented through its group).
SCRIPTS: Final[dict[str, click.Command]] = {
    "ixiond": daemon.main,
    "ixion-mkcert": mkcert.main,
    "ixion-adduser": admin.adduser,
    "ixion-rmuser": admin.rmuser,
    "ixion-nasl": nasl_cli.cli,
}
SYSTEM_PAGES: Final = {"ixiond", "ixion-mkcert", "ixion-adduser", "ixion-rmuser"}


def _commands(
    name: str, command: click.Command, parent: click.Context | None = None, word: str = ""
) -> list[tuple[str, click.Context]]:
    """Each command and subcommand under ``command`` by page name, with a context as click
    makes one (``word`` is what the user types for a subcommand)."""
    ctx = command.make_context(word or name, [], parent=parent, resilient_parsing=True)
    found = [(name, ctx)]
    if isinstance(command, click.Group):
        for sub_name, sub in command.commands.items():
            if not sub.hidden:
                found += _commands(f"{name}-{sub_name}", sub, ctx, sub_name)
    return found


def _all_commands() -> dict[str, click.Context]:
    found = _commands("ixion", ixion_group())
    found.append(("ixion-batch", batch.make_context("ixion", [], resilient_parsing=True)))
    for name, command in SCRIPTS.items():
        found += _commands(name, command)
    return dict(found)


COMMANDS: Final = _all_commands()


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The pages the installed ``ixion man`` writes, by name."""
    out = tmp_path_factory.mktemp("man")
    done = subprocess.run(
        [str(IXION), "man", "--output", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    written = {Path(line) for line in done.stdout.splitlines()}
    assert written == set(out.glob("man*/*"))
    return {path.stem: path for path in written}


def _groff(path: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["groff", "-ww", "-man", *options, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _rendered(path: Path) -> str:
    """The page as a terminal shows it, without bold or underline, on one wide line each."""
    done = _groff(path, "-Tutf8", "-P-c", "-rLL=250n")
    assert done.returncode == 0, done.stderr
    plain = re.sub(".\b", "", done.stdout)
    return plain.replace("\u2212", "-").replace("\u2010", "-")


def _section(text: str, title: str) -> list[str]:
    """The non-blank lines under a heading, up to the next line at the margin (a heading, or
    the footer)."""
    lines = text.splitlines()
    start = lines.index(title) + 1
    end = next((i for i in range(start, len(lines)) if re.match(r"\S", lines[i])), len(lines))
    return [line for line in lines[start:end] if line.strip()]


def test_the_scripts_here_are_every_console_script_ixion_installs() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert set(scripts) == {"ixion", *SCRIPTS}
    assert INSTALLED == SCRIPTS
    for name, command in INSTALLED.items():  # each page is made from the script's own module
        assert scripts[name].split(":")[0] == command.callback.__module__


def test_every_command_and_subcommand_gets_a_page_and_nothing_else(
    pages: dict[str, Path],
) -> None:
    assert set(pages) == set(COMMANDS)
    for name, path in pages.items():
        assert path.suffix == (".8" if name in SYSTEM_PAGES else ".1")
        assert path.parent.name == f"man{path.suffix[1:]}"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_groff_reads_the_page_without_a_warning(name: str, pages: dict[str, Path]) -> None:
    for device in ([], ["-Tutf8"]):
        done = _groff(pages[name], "-z", *device)
        assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_page_lists_exactly_the_command_s_options(name: str, pages: dict[str, Path]) -> None:
    ctx = COMMANDS[name]
    expected = {
        opt
        for param in ctx.command.get_params(ctx)
        if isinstance(param, click.Option) and not param.hidden
        for opt in (*param.opts, *param.secondary_opts)
    }
    listed: set[str] = set()
    for line in _section(_rendered(pages[name]), "OPTIONS"):
        if re.match(r" {7}-", line):  # a tag; its help may follow after a gap
            tag = re.split(r" {2,}", line.strip())[0]
            listed.update(re.findall(r"(?<![\w-])(--?[A-Za-z0-9][\w-]*)", tag))
    assert listed == expected


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_and_page_both_give_examples(name: str, pages: dict[str, Path]) -> None:
    ctx = COMMANDS[name]
    words = ctx.command_path.split()
    root = ctx.find_root().command
    args = ["-q", "--help"] if name == "ixion-batch" else [*words[1:], "--help"]
    result = CliRunner().invoke(root, args, prog_name=words[0])
    assert result.exit_code == 0, result.output
    # Each example is an indented line; one at least runs this very command.
    block = re.search(r"Examples:\n((?: {4,}\S.*\n)+)", result.output)
    assert block is not None, result.output
    assert ctx.command_path + " " in block[1]
    text = _rendered(pages[name])
    assert any(ctx.command_path + " " in line for line in _section(text, "EXAMPLES"))
    synopsis = " ".join(line.strip() for line in _section(text, "SYNOPSIS"))
    assert synopsis.startswith(ctx.command_path + " ")


def test_the_scan_page_keeps_its_exit_status_and_names_the_other_pages(
    pages: dict[str, Path],
) -> None:
    text = _rendered(pages["ixion-scan"])
    assert "1 something at or above --fail-on was found" in " ".join(
        " ".join(line.split()) for line in _section(text, "EXIT STATUS")
    )
    see_also = " ".join(_section(text, "SEE ALSO"))
    assert re.findall(r"([\w-]+)\((\d)\)", see_also) == [
        (other, "8" if other in SYSTEM_PAGES else "1")
        for other in sorted(COMMANDS)
        if other != "ixion-scan"
    ]


HOSTILE_LINES: Final = (
    ".TH PWNED 1",
    "'br and a quote",
    r"a backslash \fB not bold \\ and \n(.g",
    "-q and --long-option and a naïve café ✓",
)


@click.command(epilog="\b\nExamples:\n  .so /etc/passwd\n  'sp 5")
@click.option("--evil", help=r".ds x y \*x")
def hostile() -> None:
    """Hostile first line.

    .TH PWNED 1
    'br and a quote
    a backslash \\fB not bold \\\\ and \\n(.g
    -q and --long-option and a naïve café ✓
    """


def test_hostile_help_text_is_printed_not_obeyed(tmp_path: Path) -> None:
    ctx = click.Context(hostile, info_name="hostile")
    page = Page("hostile", "1", ctx)
    source = render_page(page, [page], "0")
    requests = [line.split()[0] for line in source.splitlines() if line.startswith((".", "'"))]
    assert set(requests) <= {".TH", ".SH", ".PP", ".TP", ".RS", ".RE", ".nf", ".fi", ".BR"}
    assert requests.count(".TH") == 1
    path = tmp_path / "hostile.1"
    path.write_text(source, encoding="ascii")
    for device in ([], ["-Tutf8"]):
        done = _groff(path, "-z", *device)
        assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    text = _rendered(path)
    flowed = " ".join(text.split())
    assert " ".join(HOSTILE_LINES) in flowed
    assert r".ds x y \*x" in flowed
    assert [line.strip() for line in _section(text, "EXAMPLES")] == [".so /etc/passwd", "'sp 5"]


def test_escape_turns_troff_specials_into_glyphs() -> None:
    assert escape(".x") == r"\&.x"
    assert escape("'x") == r"\(aqx"
    assert escape('a\\b-c"é') == r"a\eb\-c\(dq\[u00E9]"


def _complete(words: str, cword: int) -> list[str]:
    environ = {
        **os.environ,
        "_IXION_COMPLETE": "bash_complete",
        "COMP_WORDS": words,
        "COMP_CWORD": str(cword),
    }
    done = subprocess.run(
        [str(IXION)], env=environ, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_bash_completion_offers_scan_for_sc() -> None:
    assert _complete("ixion sc", 1) == ["plain,scan"]


def test_completion_after_q_offers_the_batch_client_s_options() -> None:
    """``ixion -q -<TAB>``: the batch client's options, which the group does not have."""
    batch_options = _complete("ixion -q -", 2)
    assert {"plain,-V", "plain,-T", "plain,-R"} <= set(batch_options)
    assert "plain,--version" not in batch_options
    assert "plain,-V" not in _complete("ixion -", 1)


def test_the_bash_script_completes_in_a_real_bash() -> None:
    done = subprocess.run(
        [str(IXION), "completion", "bash"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "_ixion_completion()" in done.stdout
    assert "complete -o nosort -F _ixion_completion ixion" in done.stdout
    run = 'eval "$SCRIPT"; COMP_WORDS=(ixion report c); COMP_CWORD=2; _ixion_completion ixion; '
    run += 'echo "${COMPREPLY[@]}"'
    environ = {**os.environ, "SCRIPT": done.stdout, "PATH": f"{IXION.parent}:{os.environ['PATH']}"}
    shell = subprocess.run(
        ["bash", "--norc", "-c", run],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (shell.returncode, shell.stdout, shell.stderr) == (0, "convert\n", "")


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_scripts_call_ixion_back(shell: str) -> None:
    done = subprocess.run(
        [str(IXION), "completion", shell], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert f"_IXION_COMPLETE={shell}_complete" in done.stdout
