"""The quality of detection: Greenbone's table, the default, overrides and validation."""

from __future__ import annotations

import pytest

from ixion.plugin_api.metadata import Category, PluginInfo
from ixion.plugin_api.qod import (
    DEFAULT_QOD,
    QOD_VALUES,
    Qod,
    QodType,
    check_qod_value,
)

#: Greenbone's published table, written out independently of the module.
TABLE = {
    "exploit": 100,
    "remote_vul": 99,
    "remote_app": 98,
    "package": 97,
    "registry": 97,
    "remote_active": 95,
    "remote_banner": 80,
    "executable_version": 80,
    "remote_analysis": 70,
    "remote_probe": 50,
    "remote_banner_unreliable": 30,
    "executable_version_unreliable": 30,
    "package_unreliable": 30,
    "general_note": 1,
}


def info(**fields: object) -> PluginInfo:
    return PluginInfo(
        id=91000300,
        filename="qod_probe.py",
        name="QoD probe",
        family="Test",
        category=Category.ATTACK,
        summary="s",
        description="d",
        **fields,  # type: ignore[arg-type]
    )


def test_every_type_has_greenbones_value() -> None:
    assert {kind.value: value for kind, value in QOD_VALUES.items()} == TABLE
    assert {kind.value for kind in QodType} == set(TABLE)
    for name, value in TABLE.items():
        assert Qod.of(QodType(name)) == Qod(value, QodType(name))


def test_the_table_cannot_be_changed() -> None:
    with pytest.raises(TypeError):
        QOD_VALUES[QodType.EXPLOIT] = 1  # type: ignore[index]


def test_no_type_means_70_and_an_explicit_value_overrides_the_type() -> None:
    assert Qod.of() == DEFAULT_QOD == Qod(70)
    assert Qod.of(QodType.REMOTE_BANNER, 75) == Qod(75, QodType.REMOTE_BANNER)
    assert Qod.of(None, 0).value == 0
    assert info().qod == Qod(70)
    assert info(qod=Qod.of(QodType.PACKAGE)).qod.value == 97


@pytest.mark.parametrize("value", [-1, 101, 1000, True, 70.0, "70", None])
def test_a_value_outside_0_to_100_or_not_an_int_is_refused(value: object) -> None:
    with pytest.raises(ValueError, match="0 to 100"):
        check_qod_value(value)
    if value is not None:
        with pytest.raises(ValueError, match="0 to 100"):
            Qod(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [0, 1, 70, 100])
def test_values_0_to_100_are_taken(value: int) -> None:
    assert Qod(value).value == check_qod_value(value) == value


def test_a_type_must_be_one_of_the_table() -> None:
    with pytest.raises(ValueError, match="unknown"):
        Qod(80, "remote_banner")  # type: ignore[arg-type]


def test_a_plugin_info_refuses_a_bare_number_for_its_qod() -> None:
    with pytest.raises(ValueError, match="qod must be a Qod"):
        info(qod=80)


def test_a_finding_restates_the_plugin_qod() -> None:
    banner = Qod.of(QodType.REMOTE_BANNER)
    assert banner.but() is banner
    # A type brings its own value...
    assert banner.but(type=QodType.EXPLOIT) == Qod(100, QodType.EXPLOIT)
    # ...unless a value is given with it; a value alone keeps the type.
    assert banner.but(type=QodType.REMOTE_PROBE, value=55) == Qod(55, QodType.REMOTE_PROBE)
    assert banner.but(value=40) == Qod(40, QodType.REMOTE_BANNER)
    with pytest.raises(ValueError, match="0 to 100"):
        banner.but(value=140)


def test_the_text_shows_the_value_and_the_type_if_any() -> None:
    assert str(Qod.of(QodType.REMOTE_BANNER)) == "80% (remote_banner)"
    assert str(DEFAULT_QOD) == "70%"
    assert DEFAULT_QOD.type_name == ""
    assert Qod.of(QodType.EXPLOIT).type_name == "exploit"


def test_a_qod_is_immutable_and_hashable() -> None:
    qod = Qod.of(QodType.EXPLOIT)
    with pytest.raises(AttributeError):
        qod.value = 1  # type: ignore[misc]
    assert {qod, Qod(100, QodType.EXPLOIT)} == {qod}
