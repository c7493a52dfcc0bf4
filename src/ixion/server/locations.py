"""Where ixiond and its tools look when not told: the conf file and the state directory.

nessusd used fixed ``$prefix`` paths. Here root gets system paths and anyone else the XDG
base directories, so that ``ixiond``, ``ixion-mkcert`` and ``ixion-adduser`` run by one user
find the same conf file and state directory without options.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["Locations", "default_locations"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Locations:
    """Where ixiond looks when not told: its conf file and its state directory."""

    config_file: Path
    state_dir: Path

    @classmethod
    def for_user(
        cls, *, uid: int, home: Path, environ: Mapping[str, str] | None = None
    ) -> Locations:
        """The defaults for a user: system paths for root, XDG base directories otherwise.

        root gets ``/etc/ixion/ixiond.conf`` and ``/var/lib/ixion``; anyone else
        ``$XDG_CONFIG_HOME/ixion/ixiond.conf`` and ``$XDG_STATE_HOME/ixion``, which are
        ``~/.config/ixion/ixiond.conf`` and ``~/.local/state/ixion`` when those are unset.
        """
        if uid == 0:
            return cls(config_file=Path("/etc/ixion/ixiond.conf"), state_dir=Path("/var/lib/ixion"))
        environ = environ or {}
        config_home = _xdg_dir(environ, "XDG_CONFIG_HOME", home / ".config")
        state_home = _xdg_dir(environ, "XDG_STATE_HOME", home / ".local" / "state")
        return cls(
            config_file=config_home / "ixion" / "ixiond.conf", state_dir=state_home / "ixion"
        )


def default_locations() -> Locations:
    """Where ixiond's tools look when not given ``-c``: system paths for root, XDG otherwise."""
    return Locations.for_user(uid=os.getuid(), home=Path.home(), environ=os.environ)


def _xdg_dir(environ: Mapping[str, str], variable: str, fallback: Path) -> Path:
    # The XDG base directory spec says to ignore a relative or empty value.
    value = environ.get(variable, "")
    return Path(value) if value.startswith("/") else fallback
