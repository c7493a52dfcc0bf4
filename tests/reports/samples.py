"""Results from a real scan: nessusd 2.2.5 answering the nessus 2.2.5 client.

The capture ``nessus225-client_vs_nessusd225_plain_scan`` comes with the NBE file that
client wrote (``nessus225-client_scan.nbe``), so the server side decoded here is the input
the reference client had, and that file is the output it made.
"""

from __future__ import annotations

from ixion.ntp import NEED_DATA, ConnectionClosed, Features, Message, ServerStreamDecoder
from ixion.reports import ScanResults, collect_results
from tests.transcripts import TRANSCRIPTS, load

#: What the nessus 2.2.5 client negotiated: its banner words and its PREFERENCES.
SCAN_WORDS = (
    "plugins_cve_id plugins_version plugins_bugtraq_id plugins_xrefs timestamps dependencies "
    "ntp_escape_crlf ntp_client_accepts_notes ntp_short_status"
)
SCAN_FEATURES = Features.from_words(SCAN_WORDS.split(" "))
SCAN_NBE = (TRANSCRIPTS / "nessus225-client_scan.nbe").read_bytes()


def server_messages(name: str, features: Features) -> list[Message]:
    """Every message the server sent in a captured conversation."""
    decoder = ServerStreamDecoder(features)
    decoder.receive_data(load(TRANSCRIPTS / f"{name}.raw.txt").stream("S"))
    decoder.receive_data(b"")
    messages: list[Message] = []
    while (msg := decoder.next_message()) is not NEED_DATA and not isinstance(
        msg, ConnectionClosed
    ):
        messages.append(msg)
    return messages


SCAN_MESSAGES = server_messages("nessus225-client_vs_nessusd225_plain_scan", SCAN_FEATURES)
SCAN_RESULTS: ScanResults = collect_results(SCAN_MESSAGES)
