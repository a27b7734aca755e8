"""``psoreg serve --workers N``: every worker listens on a socket of its own (SO_REUSEPORT).

With uvicorn's one shared socket, a burst of keep-alive connections often all went to the
worker that woke first (10 of 10 in about half of the bursts), and the other worker idled. Run
as a user runs it: a real ``psoreg serve`` with two worker processes; the sockets are read
from ``/proc`` (Linux, where the server runs).
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from psoreg.web.run import reserve_port
from tests.web_conftest import TEST_SECRET

PSOREG = str(Path(sys.executable).parent / "psoreg")
pytestmark = pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads /proc")


def _sockets(port: int, state: str) -> set[str]:
    """The inodes of the sockets on 127.0.0.1:``port`` in TCP ``state`` (/proc/net/tcp's hex
    code: 0A listening, 01 established: the server's ends of the connections)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        f = line.split()
        if f[1] == f"0100007F:{port:04X}" and f[3] == state:
            found.add(f[9])
    return found


def _listening(port: int) -> set[str]:
    return _sockets(port, "0A")


def _connected(port: int) -> set[str]:
    return _sockets(port, "01")


def _sockets_of(pid: int) -> set[str]:
    found = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            m = re.fullmatch(r"socket:\[(\d+)\]", os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:
            continue
        if m:
            found.add(m.group(1))
    return found


def _workers(parent: int, port: int, n: int, timeout: float = 60) -> dict[int, set[str]]:
    """The worker processes of ``parent`` that listen on ``port`` (waits for ``n``)."""
    deadline = time.monotonic() + timeout
    while True:
        kids = subprocess.run(
            ["pgrep", "-P", str(parent)], capture_output=True, text=True
        ).stdout.split()
        listening = _listening(port)
        found = {}
        for kid in map(int, kids):
            try:
                mine = _sockets_of(kid) & listening
            except OSError:
                continue
            if mine:
                found[kid] = mine
        if len(found) == n:
            return found
        assert time.monotonic() < deadline, f"workers listening: {found}"
        time.sleep(0.3)


async def _burst(port: int, n: int) -> list[asyncio.StreamWriter]:
    """``n`` keep-alive connections opened at once, as a page of concurrent clients opens them,
    each answered once."""

    async def one() -> asyncio.StreamWriter:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b"200 OK" in await reader.readuntil(b"\r\n\r\n")
        return writer

    return list(await asyncio.gather(*(one() for _ in range(n))))


def test_each_worker_listens_on_its_own_socket_and_gets_connections(tmp_path: Path) -> None:
    data = tmp_path / "site"
    data.mkdir()
    (data / "secret.key").write_text(TEST_SECRET)
    with reserve_port("127.0.0.1", 0) as probe:
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        [PSOREG, "serve", "--data", str(data), "--no-demo", "--port", str(port), "--workers", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        workers = _workers(proc.pid, port, 2)
        # two listening sockets, one in each worker (uvicorn's own --workers shares one)
        assert len(_listening(port)) == 2
        a, b = workers.values()
        assert len(a) == len(b) == 1 and not a & b

        # connections reach both workers: 40 opened in bursts of 10 (the kernel spreads them by
        # a hash of their ports; all 40 on one worker has a chance of 2 in 2**40)
        async def bursts() -> dict[int, int]:
            per_worker = dict.fromkeys(workers, 0)
            for _ in range(4):
                writers = await _burst(port, 10)
                open_ = _connected(port)
                for pid in workers:
                    per_worker[pid] += len(_sockets_of(pid) & open_)
                for w in writers:
                    w.close()
            return per_worker

        counts = asyncio.run(bursts())
        assert sum(counts.values()) == 40 and min(counts.values()) > 0, counts

        # a worker that dies is replaced by one with a socket of its own, and serving goes on
        dead = next(iter(workers))
        os.kill(dead, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while dead in (now := _workers(proc.pid, port, 2)):
            assert time.monotonic() < deadline
            time.sleep(0.3)
        assert len(_listening(port)) == 2 and len(set().union(*now.values())) == 2
        assert len(asyncio.run(_burst(port, 10))) == 10
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert _listening(port) == set()


def test_a_port_in_use_stops_the_server_before_its_workers_start(tmp_path: Path) -> None:
    data = tmp_path / "site"
    data.mkdir()
    (data / "secret.key").write_text(TEST_SECRET)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = subprocess.run(
            [PSOREG, "serve", "--data", str(data), "--no-demo", "--port", str(port),
             "--workers", "2"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert r.returncode == 3, r.stdout + r.stderr
    assert "Address already in use" in r.stdout + r.stderr
