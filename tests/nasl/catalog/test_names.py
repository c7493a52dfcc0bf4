"""Files whose names are not UTF-8 are skipped by the catalog, with a log line (issue 15)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from ixion.nasl.catalog.cache import load_catalog

NOT_UTF8 = os.fsdecode(b"\xff\xfe.nasl")


def script(number: int) -> bytes:
    return (
        b'if (description) {\n  script_oid("1.3.6.1.4.1.25623.1.0.%d");\n' % number
        + b'  script_name("Script %d");\n  exit(0);\n}\n' % number
    )


def test_a_name_that_is_not_utf8_is_skipped_and_its_folder_still_loads(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "feed"
    (folder / f"sub{NOT_UTF8[:-5]}").mkdir(parents=True)
    (folder / "good.nasl").write_bytes(script(1))
    (folder / NOT_UTF8).write_bytes(script(2))
    (folder / f"sub{NOT_UTF8[:-5]}" / "inner.nasl").write_bytes(script(3))
    cache = tmp_path / "cache.sqlite"
    caplog.set_level(logging.WARNING, logger="ixion.nasl.catalog")
    for _ in ("cold", "warm"):
        catalog = load_catalog(folder, cache, jobs=1)
        assert sorted(catalog.scripts) == ["good.nasl"]
        assert catalog.failures == {}
    assert f"{str(folder)!r}: skipped b'\\xff\\xfe.nasl': its name is not valid UTF-8" in (
        caplog.text
    )
    assert f"{str(folder)!r}: skipped b'sub\\xff\\xfe': its name is not valid UTF-8" in (
        caplog.text
    )
