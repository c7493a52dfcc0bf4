"""The ``qod_type`` and ``qod`` tags of a script become its PluginInfo's quality of detection,
through a cold and a warm load of the description cache; bad values are logged, not fatal."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from ixion.nasl.catalog.cache import load_catalog
from ixion.nasl.catalog.plugin_info import plugin_infos, script_qod, to_plugin_info
from ixion.nasl.description.metadata import NaslMetadata
from ixion.plugin_api.qod import Qod, QodType


def script(number: int, *tags: tuple[str, str]) -> bytes:
    lines = b"".join(
        b'  script_tag(name:"%s", value:"%s");\n' % (n.encode(), v.encode()) for n, v in tags
    )
    return (
        b"if (description) {\n"
        b'  script_oid("1.3.6.1.4.1.25623.1.0.%d");\n'
        b'  script_name("Version check %d");\n'
        b"  script_category(ACT_GATHER_INFO);\n"
        b"%s"
        b"  exit(0);\n"
        b"}\n"
        b'security_message(port:0, data:"vulnerable");\n' % (number, number, lines)
    )


@pytest.fixture
def feed(tmp_path: Path) -> Path:
    folder = tmp_path / "feed"
    folder.mkdir()
    scripts = {
        "banner.nasl": script(1, ("qod_type", "remote_banner")),
        "unreliable.nasl": script(2, ("qod_type", "remote_banner_unreliable")),
        "both.nasl": script(3, ("qod_type", "package"), ("qod", "75")),
        "value.nasl": script(4, ("qod", "30")),
        "none.nasl": script(5),
        "odd_type.nasl": script(6, ("qod_type", "gossip")),
        "odd_value.nasl": script(7, ("qod_type", "exploit"), ("qod", "150")),
    }
    for name, source in scripts.items():
        (folder / name).write_bytes(source)
    return folder


EXPECTED = {
    "banner.nasl": Qod(80, QodType.REMOTE_BANNER),
    "unreliable.nasl": Qod(30, QodType.REMOTE_BANNER_UNRELIABLE),
    "both.nasl": Qod(75, QodType.PACKAGE),
    "value.nasl": Qod(30),
    "none.nasl": Qod(70),
    "odd_type.nasl": Qod(70),
    "odd_value.nasl": Qod(100, QodType.EXPLOIT),
}


def test_tags_become_the_qod_cold_and_warm(
    feed: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache = tmp_path / "cache.sqlite"
    for _ in ("cold", "warm"):
        catalog = load_catalog(feed, cache, jobs=1)
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="ixion.nasl.catalog.plugin_info"):
            infos, errors = plugin_infos(catalog.scripts)
        assert errors == {}
        assert {rel: info.qod for rel, info in infos.items()} == EXPECTED
        # A bad tag is logged with its file, and the script is kept with the default.
        assert sorted(caplog.messages) == [
            "odd_type.nasl: unknown qod_type 'gossip' ignored",
            "odd_value.nasl: qod '150' is not 0-100, ignored",
        ]
    assert catalog.read == 0  # the second load came from the cache


@pytest.mark.parametrize(
    ("kind", "value", "qod", "problem"),
    [
        ("remote_vul", None, Qod(99, QodType.REMOTE_VUL), ""),
        (" general_note ", None, Qod(1, QodType.GENERAL_NOTE), ""),
        (None, "0", Qod(0), ""),
        (None, "100", Qod(100), ""),
        (None, "-5", Qod(70), "qod '-5' is not 0-100, ignored"),
        (None, "7.5", Qod(70), "qod '7.5' is not 0-100, ignored"),
        (None, "\u0661\u0662", Qod(70), "qod '\u0661\u0662' is not 0-100, ignored"),
        (
            "Remote_Banner",
            "x",
            Qod(70),
            "unknown qod_type 'Remote_Banner' ignored; qod 'x' is not 0-100, ignored",
        ),
    ],
)
def test_script_qod(kind: str | None, value: str | None, qod: Qod, problem: str) -> None:
    assert script_qod(kind, value) == (qod, problem)


def test_the_last_qod_type_tag_wins() -> None:
    meta = NaslMetadata(
        id=1,
        name="n",
        tags=(("qod_type", "remote_banner"), ("qod_type", "remote_banner_unreliable")),
    )
    assert to_plugin_info(meta, "n.nasl").qod == Qod(30, QodType.REMOTE_BANNER_UNRELIABLE)
