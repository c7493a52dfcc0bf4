"""The way of one login attempt from its password line to a verdict (issue 15).

1. The throttle (:mod:`ixion.server.login_throttle`) gives the attempt its turn; the client
   waits for it here, on the event loop, holding no worker.
2. The password is checked on the pool (:mod:`ixion.server.password_checks`) by
   :meth:`UserStore.authenticate <ixion.server.users.UserStore.authenticate>`, which costs the
   same for every name.
3. A wrong password (or an unknown name) counts as a failure; a right one clears the counts.

Anything that ends the attempt without a verdict on the password raises :class:`LoginRefused`,
whose message is the line for the log: no turn within ``login_max_delay``, a full pool, or a
file that could not be read (EMFILE at the descriptor limit, EACCES, EIO). None of these
counts as a failure: no password was compared, and counting them would lock real users out
for the server's trouble. The client cannot tell them from a wrong password: NTP has no other
answer after the password than ``Bad login attempt !`` (spec §1.5), and giving each the same
answer tells an attacker nothing.

One gate serves a whole daemon (``daemon.Clients`` makes it and hands it to each
connection), so that the pool is shared and the counts add up over all connections.
"""

from __future__ import annotations

import asyncio
import functools
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ixion.server.login_throttle import LoginThrottle
from ixion.server.password_checks import PasswordChecks, PoolBusy
from ixion.server.rules import RuleError

if TYPE_CHECKING:
    from ixion.server.limits import Limits
    from ixion.server.users import User, UserStore

__all__ = ["CannotCheckPassword", "LoginGate", "LoginRefused"]


class LoginRefused(Exception):
    """The attempt ends without a verdict on its password; the message says why."""


class CannotCheckPassword(LoginRefused):
    """A file of the user could not be read, or memory was short: the server's trouble."""


@dataclass(frozen=True, slots=True)
class LoginGate:
    """The throttle and the password-check pool of one daemon, in front of its users."""

    users: UserStore
    throttle: LoginThrottle
    checks: PasswordChecks

    @classmethod
    def create(cls, users: UserStore, limits: Limits) -> LoginGate:
        throttle = LoginThrottle(
            failures_allowed=limits.login_failures_allowed, max_delay=limits.login_max_delay
        )
        return cls(users, throttle, PasswordChecks(limits.login_workers))

    async def authenticate(
        self, address: str, name: str, password: str, client_dn: str | None
    ) -> User | None:
        """The user, or None for a wrong password or an unknown name.

        Raises :class:`LoginRefused` when the password was not checked, and
        :class:`~ixion.server.rules.RuleError` when it was right but the user's rules are bad.
        """
        admission = self.throttle.admit(address, name, time.monotonic())
        if not admission.allowed:
            raise LoginRefused("too many failed logins from this address or for this name")
        if admission.wait:
            await asyncio.sleep(admission.wait)
        check = functools.partial(self.users.authenticate, name, password, client_dn)
        try:
            user = await self.checks.run(check)
        except PoolBusy as exc:
            raise LoginRefused(f"too many logins at once: {exc}") from exc
        except RuleError:
            self.throttle.succeeded(address, name)
            raise
        except (OSError, MemoryError) as exc:
            raise CannotCheckPassword(f"cannot check the password now: {exc}") from exc
        if user is None:
            self.throttle.failed(address, name, time.monotonic())
        else:
            self.throttle.succeeded(address, name)
        return user
