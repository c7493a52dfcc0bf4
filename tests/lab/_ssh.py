"""SSH: asyncssh, which shows a real SSH-2 server to look at and lets nobody in."""

from __future__ import annotations

import asyncio
import threading

import asyncssh

from ._base import IDLE_TIMEOUT, LOOPBACK, Service


class _NoLogin(asyncssh.SSHServer):
    """Asks for a password and accepts none: the lab's SSH is there to be looked at."""

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return False


class SshService(Service):
    """asyncssh with a fresh Ed25519 host key, on an event loop in a thread of its own."""

    name = "ssh"

    def __init__(self) -> None:
        super().__init__()
        self._acceptor: asyncssh.SSHAcceptor | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.port = asyncio.run_coroutine_threadsafe(self._open(), self._loop).result(10)

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None:
            asyncio.run_coroutine_threadsafe(self._close(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
            loop.close()
        self._loop = self._thread = None
        super().stop()

    def _listen_options(self) -> dict[str, object]:
        """What asyncssh.listen is given besides the address and the host key."""
        return {"server_factory": _NoLogin}

    async def _open(self) -> int:
        self._acceptor = await asyncssh.listen(
            LOOPBACK,
            0,
            server_host_keys=[asyncssh.generate_private_key("ssh-ed25519")],
            login_timeout=IDLE_TIMEOUT,
            **self._listen_options(),
        )
        return self._acceptor.get_port()

    async def _close(self) -> None:
        """Close the listener, then end every connection's task: nothing left to leak."""
        if self._acceptor is not None:
            self._acceptor.close()
            await self._acceptor.wait_closed()
            self._acceptor = None
        current = asyncio.current_task()
        tasks = [task for task in asyncio.all_tasks() if task is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.get_running_loop().shutdown_asyncgens()
