"""How sure a finding is: the quality of detection (QoD), as Greenbone's feed declares it.

A check that exploited a flaw and one that compared a version string both report a
"Security Hole", yet the second is wrong whenever a distribution backported the fix without
changing the version (Debian's ``OpenSSH_9.2p1 Debian-2+deb12u3`` still says 9.2p1). The feed
says which kind of evidence each check relies on with ``script_tag(name:"qod_type", ...)``;
each kind has a percentage, which an explicit ``script_tag(name:"qod", ...)`` overrides.

:class:`Qod` is that pair, attached to every :class:`~ixion.plugin_api.metadata.PluginInfo`
and so to every finding, which lets the daemon hold back findings below ``min_qod``. The
table is Greenbone's published one; a plugin that declares nothing gets
:data:`DEFAULT_QOD_VALUE` (70), as in Greenbone, and so passes the default minimum of 70
while a banner check marked unreliable (30) does not.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

__all__ = ["DEFAULT_QOD", "DEFAULT_QOD_VALUE", "QOD_VALUES", "Qod", "QodType", "check_qod_value"]


class QodType(enum.StrEnum):
    """The kind of evidence a finding rests on (the feed's ``qod_type`` tag values)."""

    EXPLOIT = "exploit"
    REMOTE_VUL = "remote_vul"
    REMOTE_APP = "remote_app"
    PACKAGE = "package"
    REGISTRY = "registry"
    REMOTE_ACTIVE = "remote_active"
    REMOTE_BANNER = "remote_banner"
    EXECUTABLE_VERSION = "executable_version"
    REMOTE_ANALYSIS = "remote_analysis"
    REMOTE_PROBE = "remote_probe"
    REMOTE_BANNER_UNRELIABLE = "remote_banner_unreliable"
    EXECUTABLE_VERSION_UNRELIABLE = "executable_version_unreliable"
    PACKAGE_UNRELIABLE = "package_unreliable"
    GENERAL_NOTE = "general_note"


#: The percentage each kind of evidence stands for.
QOD_VALUES: Final = MappingProxyType(
    {
        QodType.EXPLOIT: 100,
        QodType.REMOTE_VUL: 99,
        QodType.REMOTE_APP: 98,
        QodType.PACKAGE: 97,
        QodType.REGISTRY: 97,
        QodType.REMOTE_ACTIVE: 95,
        QodType.REMOTE_BANNER: 80,
        QodType.EXECUTABLE_VERSION: 80,
        QodType.REMOTE_ANALYSIS: 70,
        QodType.REMOTE_PROBE: 50,
        QodType.REMOTE_BANNER_UNRELIABLE: 30,
        QodType.EXECUTABLE_VERSION_UNRELIABLE: 30,
        QodType.PACKAGE_UNRELIABLE: 30,
        QodType.GENERAL_NOTE: 1,
    }
)
#: The value of a plugin that declares neither a type nor a value.
DEFAULT_QOD_VALUE: Final = 70


def check_qod_value(value: object) -> int:
    """``value`` if it is a QoD percentage (an int, 0 to 100).

    Raises:
        ValueError: it is not (a bool is not an int here).
    """
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise ValueError(f"a quality of detection is an integer from 0 to 100, not {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class Qod:
    """A quality of detection: a percentage and, when declared, the kind of evidence.

    Build one with :meth:`of`, which takes the value from the type unless one is given.
    """

    value: int
    type: QodType | None = None

    def __post_init__(self) -> None:
        check_qod_value(self.value)
        if self.type is not None and not isinstance(self.type, QodType):
            raise ValueError(f"unknown quality of detection type {self.type!r}")

    @classmethod
    def of(cls, type: QodType | None = None, value: int | None = None) -> Qod:  # noqa: A002
        """The type's value, or ``value`` when given (an explicit value overrides the type's);
        neither: :data:`DEFAULT_QOD`."""
        if value is None:
            value = DEFAULT_QOD_VALUE if type is None else QOD_VALUES[type]
        return cls(value, type)

    def but(self, *, type: QodType | None = None, value: int | None = None) -> Qod:  # noqa: A002
        """This QoD as one finding restates it: a new ``type`` brings its own value unless
        ``value`` is given; a ``value`` alone keeps the type; neither changes nothing."""
        if type is None and value is None:
            return self
        if type is None:
            return Qod(value if value is not None else self.value, self.type)
        return Qod.of(type, value)

    @property
    def type_name(self) -> str:
        """The type's tag value, ``""`` when none was declared."""
        return "" if self.type is None else self.type.value

    def __str__(self) -> str:
        """``80% (remote_banner)``, or ``70%`` without a declared type."""
        return f"{self.value}%" + (f" ({self.type.value})" if self.type is not None else "")


#: A plugin that declares nothing.
DEFAULT_QOD: Final = Qod(DEFAULT_QOD_VALUE)
