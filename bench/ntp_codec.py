"""How fast ixion.ntp encodes and decodes, on streams shaped like real ones.

    .venv/bin/python bench/ntp_codec.py [--plugins N] [--reports N] [--preferences N]

Builds a server stream with a PLUGIN_LIST of N plugins (a full community feed has ~140 000)
and N reports, and a client stream with a PREFERENCES block of N lines (default 20 000);
then times encoding, decoding in one piece, and decoding in 1460-byte pieces (one TCP
segment each). Prints MB/s, messages/s and peak memory; nothing is asserted.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from collections.abc import Callable

from ixion.ntp import (
    NEED_DATA,
    Category,
    ClientPhase,
    ClientStreamDecoder,
    Features,
    PluginList,
    PluginRecord,
    PortRef,
    Preferences,
    Report,
    ReportKind,
    ServerPhase,
    ServerStreamDecoder,
    encode_client_message,
    encode_server_message,
    report_text,
)
from ixion.ntp.decoder import StreamDecoder

FEATURES = Features.from_words(
    [
        "plugins_version",
        "plugins_cve_id",
        "plugins_bugtraq_id",
        "plugins_xrefs",
        "timestamps",
        "ntp_escape_crlf",
        "ntp_client_accepts_notes",
    ]
)


def server_stream(plugins: int, reports: int) -> bytes:
    records = tuple(
        PluginRecord(
            id=str(10000 + i),
            name=f"Example check number {i}",
            category=Category.GATHER_INFO,
            copyright="Public domain",
            description="Checks something on the remote host.\n\nRisk factor : Medium",
            summary="checks something",
            family="General",
            version="$Revision: 1.42 $",
            cve=(f"CVE-2024-{i:05d}",),
            bid=(str(i),),
        )
        for i in range(plugins)
    )
    out = [encode_server_message(PluginList(plugins=records), FEATURES)]
    port = PortRef(service="www", number=80)
    text = report_text("The remote web server is outdated.\nSolution : upgrade", cve=["CVE-1"])
    for i in range(reports):
        msg = Report(
            kind=ReportKind.HOLE, host="198.18.0.7", port=port, text=text, plugin_id=str(i)
        )
        out.append(encode_server_message(msg, FEATURES))
    return b"".join(out)


def client_stream(lines: int) -> bytes:
    items = tuple((f"Plugin {i}[entry]:Login :", f"value-{i}") for i in range(lines))
    return encode_client_message(Preferences(items=items), FEATURES)


def decode_all(make: Callable[[], StreamDecoder], data: bytes, piece: int) -> int:
    decoder = make()
    count = 0
    for start in range(0, len(data), piece):
        decoder.receive_data(data[start : start + piece])
        while decoder.next_message() is not NEED_DATA:
            count += 1
    return count


def timed(label: str, size: int, run: Callable[[], int]) -> None:
    """Time a run, then measure its peak allocations in a second run (tracemalloc is slow)."""
    began = time.perf_counter()
    count = run()
    elapsed = time.perf_counter() - began
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(
        f"{label:<44} {size / elapsed / 1e6:8.1f} MB/s {count / elapsed:12,.0f} msg/s"
        f"   peak {peak / 1e6:7.1f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plugins", type=int, default=140_000)
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--preferences", type=int, default=20_000)
    args = parser.parse_args()

    began = time.perf_counter()
    server = server_stream(args.plugins, args.reports)
    print(
        f"encode server stream: {len(server) / 1e6:.1f} MB in {time.perf_counter() - began:.2f} s"
    )
    client = client_stream(args.preferences)
    print(f"client PREFERENCES block: {len(client) / 1e6:.1f} MB")

    def server_decoder() -> StreamDecoder:
        return ServerStreamDecoder(FEATURES, start=ServerPhase.MESSAGES)

    def client_decoder() -> StreamDecoder:
        return ClientStreamDecoder(features=FEATURES, start=ClientPhase.ORDERS)

    timed(
        "decode server stream, whole",
        len(server),
        lambda: decode_all(server_decoder, server, len(server)),
    )
    timed(
        "decode server stream, 1460-byte pieces",
        len(server),
        lambda: decode_all(server_decoder, server, 1460),
    )
    timed(
        "decode client PREFERENCES, 1460-byte pieces",
        len(client),
        lambda: decode_all(client_decoder, client, 1460),
    )


if __name__ == "__main__":
    main()
