"""The file and command built-ins: denied to untrusted scripts, working for trusted ones."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ixion.nasl.interpreter import Interpreter
from ixion.nasl.syntax.parser import parse
from tests.nasl.harness import Transcript

if TYPE_CHECKING:
    from pathlib import Path


def run(source: bytes, *, trusted: bool) -> bytes:
    transcript = Transcript()
    Interpreter(output=transcript.output, diagnostics=transcript.diagnostic, trusted=trusted).run(
        parse(source, "t.nasl"), source=source
    )
    return bytes(transcript.data)


def _script(tmp_path: Path) -> bytes:
    victim, made = tmp_path / "victim", tmp_path / "made"
    return (
        b'display(isnull(fread("%(v)s")), "\\n");\n'
        b'display(isnull(fwrite(data: "x", file: "%(m)s")), "\\n");\n'
        b'display(isnull(unlink("%(v)s")), "\\n");\n'
        b'display(isnull(pread(cmd: "touch", argv: make_list("touch", "%(m)s"))), "\\n");\n'
        b'display(isnull(find_in_path("sh")), isnull(get_tmp_dir()), "\\n");\n'
        b'display(isnull(file_open(name: "%(v)s", mode: "r")), "\\n");\n'
    ) % {b"v": bytes(victim), b"m": bytes(made)}


def test_an_untrusted_script_cannot_touch_files_or_run_commands(tmp_path: Path) -> None:
    (tmp_path / "victim").write_bytes(b"secret")
    out = run(_script(tmp_path), trusted=False)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["victim"]
    assert (tmp_path / "victim").read_bytes() == b"secret"
    assert b"secret" not in out
    denied = "!! error: t.nasl:{}: {}() is not allowed in {} scripts; it returns NULL\n"
    assert out.decode() == (
        denied.format(1, "fread", "untrusted")
        + "1\n"
        + denied.format(2, "fwrite", "untrusted")
        + "1\n"
        + denied.format(3, "unlink", "untrusted")
        + "1\n"
        + denied.format(4, "pread", "untrusted")
        + "1\n"
        + denied.format(5, "find_in_path", "untrusted")
        + denied.format(5, "get_tmp_dir", "untrusted")
        + "11\n"
        + denied.format(6, "file_open", "any")
        + "1\n"
    )


def test_a_trusted_script_can_read_write_unlink_and_run(tmp_path: Path) -> None:
    (tmp_path / "victim").write_bytes(b"secret")
    source = (
        b'display(fread("%(v)s"), "\\n");\n'
        b'display(fwrite(data: "data", file: "%(m)s"), "\\n");\n'
        b'unlink("%(v)s");\n'
        b'display(pread(cmd: "cat", argv: make_list("cat", "%(m)s")), "\\n");\n'
        b'display(find_in_path("sh"), find_in_path("no-such-command-ixion"), "\\n");\n'
        b'display(get_tmp_dir() =~ "/$", "\\n");\n'
        b'display(isnull(file_open(name: "%(m)s", mode: "r")), "\\n");\n'
    ) % {b"v": bytes(tmp_path / "victim"), b"m": bytes(tmp_path / "made")}
    out = run(source, trusted=True)
    assert out == (
        b"secret\n4\ndata\n10\n1\n!! error: t.nasl:7: file_open() is not allowed in any "
        b"scripts; it returns NULL\n1\n"
    )
    assert sorted(path.name for path in tmp_path.iterdir()) == ["made"]
