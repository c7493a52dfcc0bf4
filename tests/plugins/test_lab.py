"""The lab itself: its services answer, and ``python -m tests.lab`` starts and stops cleanly."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.lab import LOOPBACK, BannerService, Lab, reserved_closed_ports

ROOT = Path(__file__).resolve().parents[2]


def greeting(port: int) -> bytes:
    with socket.create_connection((LOOPBACK, port), timeout=5) as sock:
        return sock.recv(100)


def test_services_greet_on_their_ports() -> None:
    with Lab({"one": BannerService(b"hello\r\n"), "two": BannerService(b"bye\r\n")}) as lab:
        assert set(lab.ports) == {"one", "two"}
        assert greeting(lab.ports["one"]) == b"hello\r\n"
        assert greeting(lab.ports["two"]) == b"bye\r\n"


def test_reserved_ports_refuse_connections() -> None:
    with reserved_closed_ports(3) as ports:
        assert len(set(ports)) == 3
        for port in ports:
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection((LOOPBACK, port), timeout=5).close()


def start_lab() -> tuple[subprocess.Popen[bytes], dict[str, int]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.lab"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert process.stdout is not None
    ports = json.loads(process.stdout.readline())
    return process, ports


@pytest.mark.parametrize("ending", ["stdin", "sigterm"])
def test_the_lab_script_prints_its_ports_and_stops(ending: str) -> None:
    process, ports = start_lab()
    try:
        assert set(ports) == {"http", "https", "smtp", "ftp", "ssh"}
        assert greeting(ports["ftp"]).startswith(b"220 ")
        assert greeting(ports["ssh"]).startswith(b"SSH-2.0-")
        assert process.stdin is not None
        if ending == "stdin":
            process.stdin.close()
        else:
            process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()
