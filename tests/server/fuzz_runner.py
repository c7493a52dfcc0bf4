"""One fuzz case played against a :class:`~tests.server.fuzzed_daemon.FuzzedDaemon`, and the
verdict on the daemon after it.

A case is judged by what the daemon does after it, not by what it answered:

* **crash**: the process is gone;
* **hang**: a healthy client is not answered within the bound;
* **unserved**: the daemon answers, but turns a healthy client away or drops it;
* **internal error**: the log gained an ERROR, a CRITICAL, a traceback or an internal error;
* **log injection**: the log gained a control character (ESC, CR, NUL...): bytes a client sent,
  written raw, which can forge or hide lines on an administrator's terminal.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import socket
import struct
from dataclasses import dataclass
from typing import Final

from tests.server.fuzz_cases import Case, Leaving
from tests.server.fuzzed_daemon import LOOPBACK, FuzzedDaemon, Unserved

__all__ = ["Outcome", "Verdict", "play_and_judge"]

#: Seconds a case's client waits for the daemon to end the connection; a lingering client
#: stops earlier, once the daemon has said nothing for QUIET seconds.
READ_LIMIT: Final = 3.0
QUIET: Final = 0.3
#: Bytes of the daemon's answer kept for the report.
ANSWER_KEPT: Final = 300
_LOST: Final = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)


class Verdict(enum.Enum):
    OK = "ok"
    CRASH = "crash"
    HANG = "hang"
    UNSERVED = "unserved"
    INTERNAL_ERROR = "internal error"
    LOG_INJECTION = "log injection"


@dataclass(frozen=True, slots=True)
class Outcome:
    verdict: Verdict
    detail: str
    #: The first bytes the daemon sent the fuzzing client, and whether it ended the connection.
    answer: bytes
    daemon_closed: bool
    #: Seconds the slowest healthy client took to be answered.
    served_in: float


# --- one case --------------------------------------------------------------------------------


async def play(port: int, case: Case) -> tuple[bytes, bool]:
    """Send the case's bytes in its chunks and leave as it says: the daemon's first bytes, and
    whether it ended the connection itself."""
    async with asyncio.timeout(READ_LIMIT):
        reader, writer = await asyncio.open_connection(LOOPBACK, port)
    answer = bytearray()
    try:
        for chunk in _chunks(case):
            try:
                writer.write(chunk)
                async with asyncio.timeout(READ_LIMIT):
                    await writer.drain()
            except (*_LOST, TimeoutError):
                break  # the daemon stopped reading: what it does next is the test
            await asyncio.sleep(0.001)  # so that chunks arrive as separate reads
        if case.leaving is Leaving.RESET:
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            return b"", False
        if case.leaving is Leaving.FIN:
            with contextlib.suppress(*_LOST, OSError):
                writer.write_eof()
        closed = await _read_answer(reader, answer, case.leaving)
    finally:
        writer.close()
        with contextlib.suppress(*_LOST, OSError, TimeoutError):
            async with asyncio.timeout(1.0):
                await writer.wait_closed()
    return bytes(answer), closed


def _chunks(case: Case) -> list[bytes]:
    data, chunks = case.data, []
    for size in case.chunks:
        if not data:
            break
        chunks.append(data[:size])
        data = data[size:]
    return [*chunks, data] if data else chunks


async def _read_answer(reader: asyncio.StreamReader, answer: bytearray, leaving: Leaving) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + READ_LIMIT
    while (left := deadline - loop.time()) > 0:
        try:
            async with asyncio.timeout(min(left, QUIET) if leaving is Leaving.LINGER else left):
                chunk = await reader.read(65536)
        except TimeoutError:
            return False
        except _LOST:
            return True
        if not chunk:
            return True
        answer += chunk[: max(ANSWER_KEPT - len(answer), 0)]
    return False


def play_and_judge(
    daemon: FuzzedDaemon, case: Case, *, healthy_within: float, fresh_login: bool
) -> Outcome:
    """Play ``case`` against ``daemon``, then judge the daemon (see the module docstring)."""
    try:
        answer, closed = asyncio.run(play(daemon.port, case))
    except (OSError, TimeoutError):
        answer, closed = b"", True
    served_in, problem = 0.0, ""
    verdict = Verdict.OK
    try:
        served_in = daemon.serves(healthy_within, fresh_login=fresh_login)
    except TimeoutError:
        verdict, problem = Verdict.HANG, f"a healthy client not answered in {healthy_within} s"
    except (Unserved, OSError) as exc:
        verdict, problem = Verdict.UNSERVED, str(exc)
    if verdict is not Verdict.OK:
        daemon.settle(1.0)  # a healthy client may notice a crash before the kernel is done
    errors, injected = daemon.log_problems()
    if not daemon.alive():
        verdict, problem = Verdict.CRASH, f"ixiond exited with {daemon.exit_code()}"
    elif verdict is Verdict.OK and errors:
        verdict = Verdict.INTERNAL_ERROR
    elif verdict is Verdict.OK and injected:
        verdict = Verdict.LOG_INJECTION
    detail = "\n".join([problem, *errors[:20], *injected[:5]]).strip()
    return Outcome(verdict, detail, answer, closed, served_in)
