"""One client of ixiond: its connection from accept to close, and its NTP login.

The protocol itself is ``ixion.ntp``'s server :class:`~ixion.ntp.Session`, driven over the
socket by :class:`~ixion.server.link.Link`; this module decides what to answer during the
login. It follows what nessusd 2.2.5 did in the captured transcripts (spec §1.5, §4.1-§4.3):
prompts as separate writes, the 20-second limit on each login line, PLUGIN_LIST /
PLUGINS_MD5 / PREFERENCES / RULES / PLUGINS_DEPENDENCIES as negotiated, the md5-caching loop,
then the orders (:mod:`ixion.server.orders`) until the client leaves.

A client that breaks the protocol, stalls during login or vanishes ends its own connection
and nothing else: every failure is caught here, logged, and the connection closed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import ssl
from typing import TYPE_CHECKING, Final

from ixion.ntp import (
    BadLogin,
    Banner,
    CompleteList,
    Error,
    GoOn,
    Password,
    PasswordPrompt,
    PluginInfoRequest,
    PluginList,
    PluginsDependencies,
    PluginsMd5,
    PluginsMd5List,
    Preferences,
    RemoteProtocolError,
    Rules,
    SendPluginsMd5,
    User,
    UserPrompt,
    Version,
    VersionReply,
)
from ixion.server.admission import Admission
from ixion.server.limits import DEFAULTS, Limits
from ixion.server.link import Closed, Link, NotReading, Stalled
from ixion.server.login_gate import LoginGate, LoginRefused
from ixion.server.orders import Orders, answer_plugin_info
from ixion.server.rules import RuleError, load_global_rules, merge_at_login
from ixion.server.uploads import AttachedFiles

if TYPE_CHECKING:
    from ixion.server.offer import Offer
    from ixion.server.rules import RuleSet
    from ixion.server.scanning import Scanning
    from ixion.server.users import User as Account
    from ixion.server.users import UserStore

__all__ = ["LOGIN_LINE_TIMEOUT", "ClientHandler"]

log = logging.getLogger(__name__)

#: Seconds a client has for its banner, user name and password (nessusd's TIMEOUT, §1.3).
LOGIN_LINE_TIMEOUT: Final = 20.0
#: Seconds between the version reply and the ``User : `` prompt, unless the client's user name
#: arrives first. nmap's nessus-brute reads the reply with one read and the prompt with a
#: second; its TLS layer drains every record already received, so a prompt that arrived with
#: the reply is never seen and the script stalls (nessusd passed it only by luck).
PROMPT_PAUSE: Final = 0.25


class ClientHandler:
    """Serves one connection from accept to close."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        offer: Offer,
        users: UserStore,
        scanning: Scanning | None = None,
        limits: Limits = DEFAULTS,
        admission: Admission | None = None,
        gate: LoginGate | None = None,
    ) -> None:
        self._link = Link(reader, writer, stall_timeout=limits.client_stall_timeout)
        #: The daemon's throttle and password pool; a handler on its own has its own.
        self._gate = gate or LoginGate.create(users, limits)
        self._limits = limits
        #: The daemon's counts; a handler on its own counts only itself.
        self._admission = admission or Admission(limits)
        self._offer = offer
        self._users = users
        self._scanning = scanning
        self._files: AttachedFiles | None = None
        if scanning is not None:
            self._files = AttachedFiles(scanning.settings.state_dir / "tmp")
        self.peer = self._link.peer
        #: The logged-in user's name, once known.
        self.user: str | None = None

    async def run(self) -> None:
        """Serve the client; never raises (a failure ends this connection only)."""
        try:
            orders = await self._login()
            if orders is not None:
                await orders.run()
        except Closed:
            pass
        except RemoteProtocolError as exc:
            log.warning("%s: protocol error, closing: %s", self.peer, exc)
            await self._link.try_send(Error(text=exc.error_hint))
        except Stalled as exc:
            log.warning("%s: stalled in the middle of a message, closing: %s", self.peer, exc)
            await self._link.try_send(Error(text=exc.error_hint))
        except NotReading as exc:
            log.warning("%s: stopped reading, connection dropped: %s", self.peer, exc)
        except TimeoutError:
            log.info("%s: no answer in time during login, closing", self.peer)
        except (OSError, ssl.SSLError, EOFError) as exc:
            log.info("%s: connection lost: %s", self.peer, exc)
        except Exception:  # a bug in ixiond must not take the daemon down
            log.exception("%s: internal error, closing the connection", self.peer)
        finally:
            if self.user is not None:
                self._admission.log_out(self.user)
            if self._files is not None:
                self._files.delete_all()
            await self._link.close()

    # --- login (spec §1.4, §1.5, §4.1, §4.2) ------------------------------------------------

    async def _login(self) -> Orders | None:
        """Log the client in and show it the plugins: its orders, or None if it is refused."""
        link = self._link
        banner = await link.receive(LOGIN_LINE_TIMEOUT)
        if not isinstance(banner, Banner):
            log.info("%s: unknown protocol version, closing", self.peer)
            return None
        await link.send(VersionReply(version=banner.version))
        await link.wait_for_input(PROMPT_PAUSE)
        await link.send(UserPrompt())
        user = await link.receive(LOGIN_LINE_TIMEOUT)
        await link.send(PasswordPrompt())
        password = await link.receive(LOGIN_LINE_TIMEOUT)
        if not isinstance(user, User) or not isinstance(password, Password):
            raise Closed  # the state table allows nothing else; kept for the type checker
        dn = link.peer_dn()
        rules: RuleSet | None = None
        try:
            found = await self._gate.authenticate(self.peer, user.name, password.password, dn)
            if found is not None:
                rules = await asyncio.to_thread(self._user_rules, found)
        except (RuleError, LoginRefused, OSError) as exc:
            # Not a wrong password, and logged as what it is; the client still gets the one
            # refusal NTP has (spec §1.5), so it learns nothing from the difference.
            why = f"cannot read the rules now: {exc}" if isinstance(exc, OSError) else exc
            level = logging.WARNING if type(exc) is LoginRefused else logging.ERROR
            log.log(level, "%s: refusing %r: %s", self.peer, user.name, why)
            await link.send(BadLogin())
            return None
        if found is None:
            log.warning("bad login attempt from %s", self.peer)
            await link.send(BadLogin())
            return None
        if not await self._admitted(found.name):
            return None
        log.info("%s: user %s logged in", self.peer, found.name)
        await self._show_user_plugins(found.name)
        await self._offer_plugins()
        return Orders(
            link,
            offer=self._offer,
            user=found.name,
            rules=rules,
            scanning=self._scanning,
            files=self._files,
            admission=self._admission,
        )

    async def _admitted(self, user: str) -> bool:
        """Count this connection as ``user``'s; if that is one too many, tell the client
        (before any plugin list) and say no."""
        if not self._admission.log_in(user):
            limit = self._limits.max_connections_per_user
            await self._link.send(
                Error(text=f"E000 - {user} already has {limit} connections; close one first")
            )
            return False
        self.user = user
        return True

    async def _show_user_plugins(self, user: str) -> None:
        """Add the scripts ``user`` uploaded to what this connection offers and scans with."""
        scanning = self._scanning
        if scanning is None or scanning.plugin_sets is None:
            return
        try:
            view = await asyncio.to_thread(scanning.plugin_sets.for_user, user)
        except OSError as exc:
            log.error("%s: cannot load the plugins %s uploaded: %s", self.peer, user, exc)
            return
        self._offer = view.offer
        service = dataclasses.replace(scanning.service, plugins=view.plugins)
        self._scanning = dataclasses.replace(scanning, service=service)

    def _user_rules(self, user: Account) -> RuleSet | None:
        """The rules the user works under (spec §7.3); read at every login, as nessusd did."""
        if self._scanning is None:
            return None
        global_rules, skipped = load_global_rules(self._scanning.settings.rules)
        for error in skipped:
            log.warning("skipped in the global rules: %s", error)
        return merge_at_login(global_rules, user.rules, self.peer)

    async def _offer_plugins(self) -> None:
        # The long blocks go out in chunks (Link.send_in_chunks): with a whole feed
        # PLUGIN_LIST is 200 MB, which must neither stop the other clients nor be copied.
        link, offer = self._link, self._offer
        features = link.features
        if features.md5_caching:
            await link.send(PluginsMd5(md5=offer.md5))
            await self._md5_loop()
        elif not features.has("fast_login"):
            await link.send_in_chunks(PluginList(plugins=offer.plugins))
        if features.has("fast_login") or features.version is Version.NTP_1_0:
            return
        await link.send_in_chunks(Preferences(items=offer.preferences))
        await link.send(Rules())  # nessusd 2.2.5 never showed the rules (spec §7.3)
        await link.send_in_chunks(PluginsDependencies(entries=offer.dependencies))

    async def _md5_loop(self) -> None:
        link, offer = self._link, self._offer
        while not isinstance(msg := await link.receive(), GoOn):
            if isinstance(msg, CompleteList):
                await link.send_in_chunks(PluginList(plugins=offer.plugins))
            elif isinstance(msg, SendPluginsMd5):
                await link.send_in_chunks(PluginsMd5List(entries=offer.md5_entries))
            elif isinstance(msg, PluginInfoRequest):
                await answer_plugin_info(link, offer, msg)
