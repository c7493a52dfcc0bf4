"""File and command built-ins: denied unless the run is trusted (nasl.md §3 "Unsafe").

These touch the scanner's own machine, not the target. Uploaded plugins are untrusted,
so by default each one returns NULL and reports an error naming itself, leaving the file
system alone; the same rule as Nessus 2's ``check_authenticated``. A run the operator marks
trusted (``ixion-nasl -X``; never an uploaded plugin) gets working versions of
``fread(path)``, ``fwrite(data:, file:)``, ``unlink(path)``, ``get_tmp_dir()``,
``find_in_path(cmd)`` and ``pread(cmd:, argv:, cd:)``; the ``file_*`` family stays denied
even then (no plugin in either corpus needs it from ixion yet).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from typing import TYPE_CHECKING, Final

from ixion.nasl.builtins.network import remaining
from ixion.nasl.runtime.values import NaslArray, Value, c_string

if TYPE_CHECKING:
    from collections.abc import Callable

    from ixion.nasl.runtime.run import Call

__all__ = ["FUNCTIONS"]

#: Seconds ``pread`` lets a command run when the script has no deadline.
_PREAD_TIMEOUT: Final = 300


def _path(call: Call, key: int | str) -> str | None:
    text = call.text(key)
    return None if text is None else os.fsdecode(c_string(text))


def _fread(call: Call) -> Value:
    path = _path(call, 0)
    if path is None:
        return None
    try:
        with open(path, "rb") as file:
            return call.rt.check_string(file.read(call.rt.services.limits.max_string + 1))
    except OSError as err:
        call.warn(f"fread: {err}")
        return None


def _fwrite(call: Call) -> Value:
    path, data = _path(call, "file"), call.text("data")
    if path is None or data is None:
        call.warn("usage: fwrite(data: <data>, file: <path>)")
        return None
    try:
        with open(path, "wb") as file:
            return file.write(data)
    except OSError as err:
        call.warn(f"fwrite: {err}")
        return None


def _unlink(call: Call) -> Value:
    path = _path(call, 0)
    if path is None:
        return None
    try:
        os.unlink(path)
    except OSError as err:
        call.warn(f"unlink: {err}")
    return None


def _find_in_path(call: Call) -> Value:
    command = _path(call, 0)
    return None if command is None else int(shutil.which(command) is not None)


def _pread(call: Call) -> Value:
    command, argv = _path(call, "cmd"), call["argv"]
    if command is None or not isinstance(argv, NaslArray):
        call.warn("usage: pread(cmd: <command>, argv: <array>)")
        return None
    arguments = [os.fsdecode(c_string(arg)) for arg in argv.values() if isinstance(arg, bytes)]
    try:
        done = subprocess.run(
            [command, *arguments[1:]],
            cwd=_path(call, "cd"),
            capture_output=True,
            timeout=remaining(call, _PREAD_TIMEOUT),
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        call.warn(f"pread: {err}")
        return None
    return call.rt.check_string(done.stdout)


_TRUSTED: Final[dict[str, Callable[[Call], Value]]] = {
    "fread": _fread,
    "fwrite": _fwrite,
    "unlink": _unlink,
    "get_tmp_dir": lambda call: os.fsencode(tempfile.gettempdir()) + b"/",
    "find_in_path": _find_in_path,
    "pread": _pread,
}
_DENIED_EVEN_TRUSTED: Final = (
    "file_stat",
    "file_open",
    "file_close",
    "file_read",
    "file_write",
    "file_seek",
)


def _guarded(name: str, function: Callable[[Call], Value] | None) -> Callable[[Call], Value]:
    def guarded(call: Call) -> Value:
        if function is not None and call.rt.services.trusted:
            return function(call)
        why = "untrusted" if function is not None else "any"
        call.rt.report_error(f"{name}() is not allowed in {why} scripts; it returns NULL")
        return None

    return guarded


FUNCTIONS: Final[dict[str, Callable[[Call], Value]]] = {
    **{name: _guarded(name, function) for name, function in _TRUSTED.items()},
    **{name: _guarded(name, None) for name in _DENIED_EVEN_TRUSTED},
}
