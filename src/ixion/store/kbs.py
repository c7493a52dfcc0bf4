"""Saved knowledge bases (spec §8.3): what each host's plugins wrote, kept between scans.

nessusd appended one line per KB write to ``users/<user>/kbs/<host>``; the rules it applied are
kept here, on rows of the store instead of a file rewritten in place:

* names under ``/tmp/``, ``NIDS/``, ``Settings/`` and ``Secret/`` are never saved;
* a write to ``Success/``, ``Launched/`` or ``SentData/``, or one repeating a saved
  ``name=value``, replaces the earlier entry (a ``replace_kb_item`` replaces every value);
* a scan without restore starts the host's KB afresh;
* a restore copies the saved KB aside first, skips entries older than ``kb_max_age`` and the
  ``Host/dead``, ``Host/ping_failed`` and ``/tmp/`` ones, and, if the host turns out
  unreachable, puts the copy back: a host that was down keeps what was known of it.

nessusd's loader dropped the first line of every file (it expected a header the writer never
wrote); nothing is dropped here. A host being scanned is "locked": ``only_test_hosts_whose_kb_
we_have`` does not count its KB as had, as nessusd did not.

:func:`parse_nessusd_kb` reads nessusd 2.2.5's file format, so the KBs of a nessusd user
directory are restored too when the store has none for the host (:meth:`SavedKbs.begin`).
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Final, TypeAlias

from ixion.store.database import StoreError

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from pathlib import Path

    from ixion.store.database import Store

__all__ = [
    "KbEntry",
    "KbWrite",
    "SavedKbs",
    "format_nessusd_kb",
    "legacy_file_name",
    "parse_nessusd_kb",
]

KbValue: TypeAlias = int | str
#: ``(time, name, value)``.
KbEntry: TypeAlias = tuple[float, str, KbValue]
#: ``(op, name, value)``: op ``add`` or ``replace`` (``remove`` deletes every value).
KbWrite: TypeAlias = tuple[str, str, KbValue]

_NOT_SAVED: Final = ("/tmp/", "NIDS/", "Settings/", "Secret/")
_ONE_VALUE: Final = ("Success/", "Launched/", "SentData/")
_NOT_RESTORED: Final = frozenset({"Host/dead", "Host/ping_failed"})
#: ``<time> <type> <name>=<value>``: type 1 a string, 3 an integer (spec §8.3).
_LINE: Final = re.compile(rb"(\d+) ([13]) ([^=\n]+)=(.*)")


def legacy_file_name(host: str) -> str:
    """The name nessusd gave a host's KB file: ``/`` becomes ``_``."""
    return host.replace("/", "_")


def parse_nessusd_kb(data: bytes) -> list[KbEntry]:
    """The entries of a nessusd 2.2.5 KB file; lines that are not entries are skipped."""
    entries: list[KbEntry] = []
    for raw in data.split(b"\n"):
        match = _LINE.fullmatch(raw)
        if match is None:
            continue
        when, kind, name, value = match.groups()
        text = name.decode("utf-8", "surrogateescape")
        if kind == b"3":
            try:
                entries.append((float(when), text, int(value)))
            except ValueError:
                continue
        else:
            entries.append((float(when), text, _unescape(value)))
    return entries


def format_nessusd_kb(entries: Iterable[KbEntry]) -> bytes:
    """Entries in nessusd 2.2.5's file format (what :func:`parse_nessusd_kb` reads back)."""
    lines = []
    for when, name, value in entries:
        head = f"{int(when)} {'3' if isinstance(value, int) else '1'} ".encode()
        body = str(value).encode() if isinstance(value, int) else _escape(value)
        lines.append(head + name.encode("utf-8", "surrogateescape") + b"=" + body + b"\n")
    return b"".join(lines)


def _escape(value: str) -> bytes:
    data = value.encode("utf-8", "surrogateescape")
    return data.replace(b"\\", b"\\\\").replace(b"\n", b"\\n").replace(b"\r", b"\\r")


def _unescape(data: bytes) -> str:
    out = bytearray()
    i = 0
    while i < len(data):
        byte = data[i : i + 1]
        if byte == b"\\" and i + 1 < len(data):
            nxt = data[i + 1 : i + 2]
            out += {b"n": b"\n", b"r": b"\r", b"\\": b"\\"}.get(nxt, b"\\" + nxt)
            i += 2
        else:
            out += byte
            i += 1
    return out.decode("utf-8", "surrogateescape")


def _saved(name: str) -> bool:
    return bool(name) and not name.startswith(_NOT_SAVED)


def _column(value: KbValue) -> int | bytes:
    """``value`` as SQLite keeps it: text as a BLOB of its UTF-8 (``surrogatepass``).

    Two reasons. The column is declared ``ANY``, which SQLite reads as NUMERIC affinity in
    an ordinary table: a string such as ``"22"`` would come back as the integer 22, and a
    NASL script tells the two apart. And KB text may hold bytes a target sent that are not
    UTF-8 (NASL keeps them as lone surrogates), which TEXT cannot carry at all.
    """
    return value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value


def _name_column(name: str) -> str | bytes:
    """A KB name as SQLite keeps it: TEXT, or a BLOB when it holds what UTF-8 cannot."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogatepass")
    return name


def _text(column: object) -> str:
    """A stored name back (:func:`_name_column`)."""
    if isinstance(column, bytes):
        return column.decode("utf-8", "surrogatepass")
    return str(column)


def _value(column: object) -> KbValue:
    """A stored value back (:func:`_column`; TEXT rows of earlier versions too)."""
    if isinstance(column, bytes):
        return column.decode("utf-8", "surrogatepass")
    if isinstance(column, int | str):
        return column
    raise StoreError(f"unexpected KB value in the store: {column!r}")


class SavedKbs:
    """The saved KBs of every user; ``legacy_users`` is a nessusd-style users directory whose
    ``<user>/kbs/<host>`` files are read when the store has nothing for a host."""

    def __init__(self, store: Store, legacy_users: Path | None = None) -> None:
        self._store = store
        self._legacy = legacy_users

    def has(self, user: str, host: str) -> bool:
        """A KB is saved for ``host`` and no scan is writing it (spec §8.3 host selection)."""
        db = self._store.connection()
        row = db.execute(
            "SELECT scanning FROM kb_host WHERE user = ? AND host = ?", (user, host)
        ).fetchone()
        if row is not None:
            if row[0]:
                return False
            saved = db.execute(
                "SELECT 1 FROM kb_entry WHERE user = ? AND host = ? AND backup = 0 LIMIT 1",
                (user, host),
            ).fetchone()
            if saved is not None:
                return True
        return self._legacy_file(user, host) is not None

    def begin(
        self, user: str, host: str, *, restore: bool, max_age: float, now: float | None = None
    ) -> list[tuple[str, KbValue]]:
        """The host's test starts: lock its KB; with ``restore``, set the saved KB aside and
        return what the scan starts from, else start afresh and return nothing."""
        now = time.time() if now is None else now
        legacy = self._legacy_entries(user, host) if restore else []
        with self._store.transaction() as db:
            db.execute(
                "INSERT INTO kb_host (user, host, scanning) VALUES (?, ?, 1)"
                " ON CONFLICT (user, host) DO UPDATE SET scanning = 1",
                (user, host),
            )
            db.execute(
                "DELETE FROM kb_entry WHERE user = ? AND host = ? AND backup = 1", (user, host)
            )
            if not restore:
                db.execute("DELETE FROM kb_entry WHERE user = ? AND host = ?", (user, host))
                return []
            count = db.execute(
                "SELECT count(*) FROM kb_entry WHERE user = ? AND host = ?", (user, host)
            ).fetchone()[0]
            if count == 0 and legacy:
                db.executemany(
                    "INSERT INTO kb_entry (user, host, time, name, value) VALUES (?, ?, ?, ?, ?)",
                    [
                        (user, host, when, _name_column(name), _column(value))
                        for when, name, value in legacy
                    ],
                )
            db.execute(
                "INSERT INTO kb_entry (user, host, backup, time, name, value)"
                " SELECT user, host, 1, time, name, value FROM kb_entry"
                " WHERE user = ? AND host = ? AND backup = 0 ORDER BY id",
                (user, host),
            )
            rows = db.execute(
                "SELECT name, value FROM kb_entry WHERE user = ? AND host = ? AND backup = 0"
                " AND time >= ? ORDER BY id",
                (user, host, now - max_age),
            ).fetchall()
        restored = [(_text(name), _value(value)) for name, value in rows]
        return [
            (name, value)
            for name, value in restored
            if name not in _NOT_RESTORED and not name.startswith("/tmp/")
        ]

    def write(self, user: str, host: str, writes: Sequence[KbWrite], when: float) -> None:
        """Save what a plugin wrote, with the rules of the module docstring."""
        kept = [(op, name, value) for op, name, value in writes if _saved(name)]
        if not kept:
            return
        with self._store.transaction() as db:
            for op, text_name, text_value in kept:
                name, value = _name_column(text_name), _column(text_value)
                if op == "remove":
                    db.execute(
                        "DELETE FROM kb_entry WHERE user = ? AND host = ? AND backup = 0"
                        " AND name = ?",
                        (user, host, name),
                    )
                    continue
                if op == "replace" or text_name.startswith(_ONE_VALUE):
                    db.execute(
                        "DELETE FROM kb_entry WHERE user = ? AND host = ? AND backup = 0"
                        " AND name = ?",
                        (user, host, name),
                    )
                else:
                    db.execute(
                        "DELETE FROM kb_entry WHERE user = ? AND host = ? AND backup = 0"
                        " AND name = ? AND value = ?",
                        (user, host, name, value),
                    )
                db.execute(
                    "INSERT INTO kb_entry (user, host, time, name, value) VALUES (?, ?, ?, ?, ?)",
                    (user, host, when, name, value),
                )

    def end(self, user: str, host: str, *, unreachable: bool, restored: bool) -> None:
        """The host's test is over; an unreachable host gets its KB from before back."""
        with self._store.transaction() as db:
            if unreachable and restored:
                db.execute(
                    "DELETE FROM kb_entry WHERE user = ? AND host = ? AND backup = 0", (user, host)
                )
                db.execute(
                    "UPDATE kb_entry SET backup = 0 WHERE user = ? AND host = ? AND backup = 1",
                    (user, host),
                )
            db.execute("UPDATE kb_host SET scanning = 0 WHERE user = ? AND host = ?", (user, host))

    def entries(self, user: str, host: str) -> list[KbEntry]:
        """The saved KB of ``host``, oldest entry first."""
        rows = self._store.connection().execute(
            "SELECT time, name, value FROM kb_entry WHERE user = ? AND host = ? AND backup = 0"
            " ORDER BY id",
            (user, host),
        )
        return [(when, _text(name), _value(value)) for when, name, value in rows]

    def _legacy_file(self, user: str, host: str) -> Path | None:
        if self._legacy is None or "/" in user or user in ("", ".", ".."):
            return None
        name = legacy_file_name(host)
        if name in ("", ".", "..") or "\0" in name:
            return None
        path = self._legacy / user / "kbs" / name
        return path if path.is_file() else None

    def _legacy_entries(self, user: str, host: str) -> list[KbEntry]:
        path = self._legacy_file(user, host)
        if path is None:
            return []
        try:
            return parse_nessusd_kb(path.read_bytes())
        except OSError:
            return []
