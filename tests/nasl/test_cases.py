"""The compliance corpus: every ``cases/*.nasl`` must print exactly its ``.out`` file.

The expected files were written from the C interpreter's semantics (nasl.md §2), not by
running ixion; ``cases/README.md`` gives the format and the run settings.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Final

import pytest

from ixion.nasl.runtime.includes import Includes
from ixion.nasl.runtime.limits import Limits
from tests.nasl.harness import run_source

CASES: Final = Path(__file__).parent / "cases"
_LIMITS_LINE: Final = re.compile(rb"^# limits: (.*)$", re.MULTILINE)


def _limits(source: bytes) -> Limits:
    """``# limits: max_steps=100, max_string=10`` lines set limits for one case."""
    settings: dict[str, int] = {}
    for line in _LIMITS_LINE.findall(source):
        for setting in line.decode().split(","):
            name, _, value = setting.strip().partition("=")
            settings[name] = int(value)
    return dataclasses.replace(Limits(), **settings)


@pytest.mark.parametrize("script", sorted(CASES.glob("*.nasl")), ids=lambda path: path.stem)
def test_case_prints_what_c_prints(script: Path) -> None:
    source = script.read_bytes()
    expected = script.with_suffix(".out").read_bytes()
    got = run_source(
        source,
        script.name,
        directory=CASES,
        limits=_limits(source),
        includes=Includes(),
    )
    assert got.decode("latin-1") == expected.decode("latin-1")


def test_every_case_has_an_expected_output() -> None:
    scripts = {path.stem for path in CASES.glob("*.nasl")}
    outputs = {path.stem for path in CASES.glob("*.out")}
    assert scripts == outputs
