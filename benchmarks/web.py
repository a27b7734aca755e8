"""Load benchmark of the registry web application (``make bench-web``).

    .venv/bin/python benchmarks/web.py
    BENCH_WEB_SECONDS=5 BENCH_WEB_PATIENTS=2000 .venv/bin/python benchmarks/web.py   # quicker

1. Seeds a SQLite registry of ``BENCH_WEB_PATIENTS`` (10,000) patients from ``psoreg.synth``
   (about 1.6 courses and 15 visits per course, with events and relapse episodes; weeks become
   dates back from today), then fills the stored outcomes with the engine
   (:func:`psoreg.store.outcome_table.refresh_stale`).
2. Starts ``psoreg serve --workers BENCH_WEB_WORKERS`` (default: the number of cores) on
   127.0.0.1 at a free port.
3. Reads, after ``BENCH_WEB_WARMUP`` (5) seconds of 10 clients on each of the first two paths
   that are not counted: 10 and 50 concurrent clients (each its own keep-alive connection
   and logged-in session) for ``BENCH_WEB_SECONDS`` (10) each, on a random patient page and on
   the trivial ``/healthz`` of the same server (the framework's ceiling on this machine); then
   one client on the patient list, the dashboard and ``/export/outcomes.csv``. Prints req/s,
   p50/p95/p99 and errors, and the patient page's throughput as a share of the trivial
   endpoint's.
4. Writes: ``BENCH_WEB_WRITERS`` (50) concurrent API clients for ``BENCH_WEB_WRITE_SECONDS``
   (60) creating visits (and, one write in five, courses) on SQLite and on PostgreSQL (a
   throw-away server, as in the tests); every acknowledged write is then looked up in the
   database. Then 20 concurrent course creations for one patient; last, the audit chain is
   verified as ``psoreg audit verify`` does (consecutive ids, every hash, the head).

``BENCH_WEB_WRITES=0`` skips step 4 (reads only); ``BENCH_WEB_READS=0`` skips step 3 (writes
only); ``BENCH_WEB_WRITE_DBS`` (``sqlite,postgresql``) names the databases step 4 writes to.
``BENCH_WEB_KEEP=DIR`` keeps the seeded SQLite registry (``registry.sqlite3`` and its
``secret.key``) in ``DIR``, and
``BENCH_WEB_REGISTRY=DIR`` runs on a copy of it instead of seeding again (step 1 takes one to
two minutes at 10,000 patients).

The client is a small asyncio HTTP/1.1 client (no third-party code on the hot path, so that it
is not the bottleneck). ``BENCH_WEB_JSON`` also writes the results as JSON.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PSOREG = str(Path(sys.executable).with_name("psoreg"))
PASSWORD = "Plaque-Pustule-Bench-2026!"  # passes the password policy (zxcvbn 4)


# --- seeding -----------------------------------------------------------------------------------


def seed_registry(url: str, patients: int, work: Path, data: Path) -> dict[str, int]:
    """A registry of ``patients`` synthetic patients (bulk insert), users, stored outcomes,
    its audit trail keyed by ``data``'s ``secret.key`` (the folder the server is given)."""
    import pyarrow.parquet as pq
    from sqlalchemy import insert

    from psoreg.accounts.users import add_user
    from psoreg.store import open_store
    from psoreg.store.db import site_secret
    from psoreg.store.models import (
        CourseRow,
        EventRow,
        PatientRow,
        RelapseRow,
        VisitRow,
    )
    from psoreg.store.outcome_table import refresh_stale
    from psoreg.store.sites import DEFAULT_SITE
    from psoreg.synth import synthesize

    synth_dir = work / "synth"
    if not (synth_dir / "courses.parquet").exists():
        synthesize(int(patients * 1.65) + 100, seed=11, out_dir=synth_dir)

    def rows(name: str) -> list[dict[str, Any]]:
        return pq.read_table(synth_dir / f"{name}.parquet").to_pylist()

    pats = rows("patients")[:patients]
    keep = {p["patient_id"] for p in pats}
    courses = [c for c in rows("courses") if c["patient_id"] in keep]
    keep_c = {c["course_id"] for c in courses}
    visits_by: dict[str, list[dict[str, Any]]] = {}
    for v in rows("assessments"):
        if v["course_id"] in keep_c:
            visits_by.setdefault(v["course_id"], []).append(v)
    today = dt.date.today()
    store = open_store(url, secret=site_secret(data))
    pk_of_patient: dict[str, int] = {}
    pk_of_course: dict[str, int] = {}
    start_of: dict[str, dt.date] = {}
    counts = {"patients": 0, "courses": 0, "visits": 0, "events": 0, "relapses": 0}
    with store.session() as s:
        prows = []
        for i, p in enumerate(pats, start=1):
            born = today.year - int(p["age_years"] or 50) - 1
            prows.append(
                {
                    "id": i,
                    "patient_id": p["patient_id"],
                    "name": f"Bench Patient {i}",
                    "birth_year": born,
                    "birth_date": dt.date(born, 7, 1),
                    "sex": p["sex"] or "unknown",
                    "ethnicity": p["ethnicity"],
                    "weight_kg": p["weight_kg"],
                    "phenotype_history": p["phenotype_history"],
                    "psoriatic_arthritis": p["psoriatic_arthritis"],
                    "biologic_naive": p["biologic_naive"],
                    "prior_phototherapy": p["prior_phototherapy"],
                    "prior_systemics": p["prior_systemics"],
                    "site": DEFAULT_SITE,  # the users' site: a patient of none is seen by none
                    "version": 1,
                }
            )
            pk_of_patient[p["patient_id"]] = i
        s.execute(insert(PatientRow), prows)
        crows = []
        for i, c in enumerate(courses, start=1):
            weeks = [v["week"] for v in visits_by.get(c["course_id"], [])]
            last = max([c["stop_week"] or 0, c["followup_week"] or 0, *weeks, 0.0])
            start = today - dt.timedelta(days=round(last * 7) + 7)
            start_of[c["course_id"]] = start

            def at(week: float | None, start: dt.date = start) -> dt.date | None:
                return None if week is None else start + dt.timedelta(days=round(week * 7))

            crows.append(
                {
                    "id": i,
                    "course_id": c["course_id"],
                    "patient_pk": pk_of_patient[c["patient_id"]],
                    "drug": c["drug"],
                    "regimen": c["regimen"],
                    "start_date": start,
                    "stop_date": at(c["stop_week"]),
                    "stop_reason": c["stop_reason"],
                    "followup_date": at(c["followup_week"]),
                    "baseline_pasi": c["baseline_pasi"],
                    "next_treatment": c["next_treatment"],
                    "version": 1,
                }
            )
            pk_of_course[c["course_id"]] = i
        s.execute(insert(CourseRow), crows)
        vrows = [
            {
                "course_pk": pk_of_course[cid],
                "date": start_of[cid] + dt.timedelta(days=round(v["week"] * 7)),
                "pasi": v["pasi"],
                "bsa": v["bsa"],
                "dlqi": None if v["dlqi"] is None else int(v["dlqi"]),
                "pga": None if v["pga"] is None else int(v["pga"]),
                "version": 1,
            }
            for cid, vs in visits_by.items()
            for v in vs
        ]
        for i in range(0, len(vrows), 50_000):
            s.execute(insert(VisitRow), vrows[i : i + 50_000])
        erows = [
            {
                "course_pk": pk_of_course[e["course_id"]],
                "kind": e["kind"],
                "date": start_of[e["course_id"]] + dt.timedelta(days=round(e["week"] * 7)),
                "morphology": e["morphology"],
                "sites": e["sites"],
                "bsa": e["bsa"],
                "management": e["management"],
                "drug_continued": e["drug_continued"],
                "description": e["description"],
                "version": 1,
            }
            for e in rows("events")
            if e["course_id"] in keep_c
        ]
        if erows:
            s.execute(insert(EventRow), erows)
        by_course = {c["course_id"]: c for c in courses}
        rrows = [
            {
                "course_pk": pk_of_course[r["course_id"]],
                "date": start_of[r["course_id"]]
                + dt.timedelta(
                    days=round((by_course[r["course_id"]]["stop_week"] + r["weeks_after_stop"]) * 7)
                ),
                "morphology": r["morphology"],
                "version": 1,
            }
            for r in rows("relapses")
            if r["course_id"] in keep_c and by_course[r["course_id"]]["stop_week"] is not None
        ]
        if rrows:
            s.execute(insert(RelapseRow), rrows)
        for role in ("clinician", "analyst"):
            add_user(s, role, PASSWORD, role, by="bench")
        counts.update(
            patients=len(prows),
            courses=len(crows),
            visits=len(vrows),
            events=len(erows),
            relapses=len(rrows),
        )
    t0 = time.perf_counter()
    refresh_stale(store)
    counts["outcomes_seconds"] = round(time.perf_counter() - t0, 1)
    if store.dialect == "postgresql":  # the bulk insert set the ids: move the sequences on
        from sqlalchemy import text

        with store.session() as s:
            for table in ("patients", "courses"):
                s.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
    store.close()
    return counts


# --- the server --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``psoreg serve`` in its own process group."""

    def __init__(self, url: str, data: Path, workers: int) -> None:
        self.port = free_port()
        self.log = open(data / "server.log", "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [PSOREG, "serve", "--db", url, "--data", str(data), "--no-demo",
             "--port", str(self.port), "--workers", str(workers)],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "PSOREG_CACHE_DIR": str(data / "cache")},
        )  # fmt: skip
        deadline = time.monotonic() + 300
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as c:
                    c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    if b"200 OK" in c.recv(100):
                        break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: {(data / 'server.log').read_text()}")
            time.sleep(0.3)
        time.sleep(2)  # every worker up

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.log.close()


# --- a small HTTP/1.1 client -------------------------------------------------------------------


class Conn:
    """One keep-alive connection with its own cookies."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
        if self.cookies:
            head.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("connection closed by the server")
        status = int(status_line.split()[1])
        length, chunked, close = 0, False, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
            elif name == "connection" and value.lower() == "close":
                close = True
            elif name == "set-cookie":
                k, _, v = value.split(";", 1)[0].partition("=")
                self.cookies[k] = v
        if chunked:
            parts = []
            while (size := int((await self.reader.readline()).strip(), 16)) > 0:
                parts.append(await self.reader.readexactly(size))
                await self.reader.readline()
            await self.reader.readline()
            data = b"".join(parts)
        else:
            data = await self.reader.readexactly(length)
        if close:
            await self.close()
        return status, data

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    async def login(self, user: str) -> str:
        _, page = await self.request("GET", "/login")
        token = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
        form = urlencode({"username": user, "password": PASSWORD, "csrf_token": token})
        status, _ = await self.request(
            "POST", "/login", form.encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )  # fmt: skip
        assert status == 303, f"login failed: {status}"
        return token


@dataclass
class Result:
    name: str
    clients: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int | str, int] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds

    def pct(self, q: float) -> float:
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000 if xs else float("nan")

    def row(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "clients": self.clients,
            "requests": len(self.latencies),
            "rps": round(self.rps, 1),
            "p50_ms": round(self.pct(0.50), 1),
            "p95_ms": round(self.pct(0.95), 1),
            "p99_ms": round(self.pct(0.99), 1),
            "errors": self.errors,
            "statuses": self.statuses,
        }


async def load(
    port: int, name: str, paths: Any, clients: int, seconds: float, user: str = "clinician"
) -> Result:
    """``clients`` connections requesting ``paths()`` for ``seconds`` (after logging in)."""
    conns = [Conn(port) for _ in range(clients)]
    await asyncio.gather(*(c.login(user) for c in conns))
    # reconnect after the logins: a connection idle while the others log in may have been
    # closed by the server's keep-alive timeout
    await asyncio.gather(*(c.close() for c in conns))
    res = Result(name, clients, seconds)
    deadline = time.perf_counter() + seconds

    async def run(c: Conn) -> None:
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            try:
                status, _ = await c.request("GET", paths())
            except (OSError, ConnectionError, asyncio.IncompleteReadError) as exc:
                res.errors += 1
                res.statuses[type(exc).__name__] = res.statuses.get(type(exc).__name__, 0) + 1
                await c.close()
                continue
            res.statuses[status] = res.statuses.get(status, 0) + 1
            if status != 200:  # a redirect (to the login page) or an error page is no read
                res.errors += 1
            else:
                res.latencies.append(time.perf_counter() - t0)

    await asyncio.gather(*(run(c) for c in conns))
    await asyncio.gather(*(c.close() for c in conns))
    return res


# --- writes ------------------------------------------------------------------------------------


async def api_token(port: int) -> str:
    c = Conn(port)
    body = json.dumps({"username": "clinician", "password": PASSWORD}).encode()
    status, data = await c.request("POST", "/api/token", body, {"Content-Type": "application/json"})
    await c.close()
    assert status == 200, data
    return json.loads(data)["token"]


async def writers(
    port: int, n: int, seconds: float, patients: list[int], courses: list[tuple[int, str]]
) -> dict[str, Any]:
    """``n`` API clients writing for ``seconds``: visits (4 in 5) and courses (1 in 5)."""
    token = await api_token(port)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    acked = {"visits": [], "courses": []}
    res = Result("writes", n, seconds)
    deadline = time.perf_counter() + seconds
    rng = random.Random(3)
    today = dt.date.today()

    async def run(c: Conn) -> None:
        while time.perf_counter() < deadline:
            if rng.random() < 0.2:
                table, pk = "courses", rng.choice(patients)
                path = f"/api/patients/{pk}/courses"
                start = today - dt.timedelta(days=rng.randrange(0, 400))
                data = {"drug": "secukinumab", "start_date": start.isoformat()}
            else:
                table, (pk, start_s) = "visits", rng.choice(courses)
                start = dt.date.fromisoformat(start_s)
                path = f"/api/courses/{pk}/visits"
                when = start + dt.timedelta(days=rng.randrange(0, max(1, (today - start).days)))
                data = {"date": when.isoformat(), "pasi": round(rng.uniform(0, 30), 1)}
            body = json.dumps({"data": data, "reason": "bench"}).encode()
            t0 = time.perf_counter()
            try:
                status, out = await c.request("POST", path, body, headers)
            except (OSError, ConnectionError, asyncio.IncompleteReadError):
                res.errors += 1
                await c.close()
                continue
            res.statuses[status] = res.statuses.get(status, 0) + 1
            if status == 201:
                acked[table].append(json.loads(out)["id"])
                res.latencies.append(time.perf_counter() - t0)
            elif status >= 500:
                res.errors += 1

    conns = [Conn(port) for _ in range(n)]
    await asyncio.gather(*(run(c) for c in conns))
    await asyncio.gather(*(c.close() for c in conns))
    return {"result": res, "acked": acked}


async def same_patient_courses(port: int, patient_pk: int, n: int = 20) -> dict[str, Any]:
    token = await api_token(port)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}

    async def one(i: int) -> tuple[int, Any]:
        c = Conn(port)
        start = (dt.date.today() - dt.timedelta(days=i)).isoformat()
        body = json.dumps({"data": {"drug": "ustekinumab", "start_date": start}}).encode()
        try:
            status, out = await c.request(
                "POST", f"/api/patients/{patient_pk}/courses", body, headers
            )
        finally:
            await c.close()
        return status, json.loads(out).get("course_id") if status == 201 else out[:200]

    got = await asyncio.gather(*(one(i) for i in range(n)))
    ids = [x for s, x in got if s == 201]
    return {
        "requests": n,
        "created": len(ids),
        "distinct_ids": len(set(ids)),
        "errors": sum(1 for s, _ in got if s != 201),
        "statuses": sorted({s for s, _ in got}),
    }


def count_acked(url: str, acked: dict[str, list[int]]) -> dict[str, int]:
    """How many acknowledged writes are missing from the database."""
    from sqlalchemy import select

    from psoreg.store import open_store
    from psoreg.store.models import CourseOutcomeRow, CourseRow, VisitRow

    store = open_store(url, upgrade=False)
    try:
        with store.reader() as s:
            v = set(acked["visits"])
            c = set(acked["courses"])
            have_v = set(s.scalars(select(VisitRow.id).where(VisitRow.id.in_(v)))) if v else set()
            have_c = set(s.scalars(select(CourseRow.id).where(CourseRow.id.in_(c)))) if c else set()
            outc = (
                set(s.scalars(select(CourseOutcomeRow.course_pk).where(CourseOutcomeRow.course_pk.in_(c))))
                if c else set()
            )  # fmt: skip
        return {
            "acknowledged": len(v) + len(c),
            "lost": len(v - have_v) + len(c - have_c),
            "new_courses_without_outcomes": len(c - outc),
        }
    finally:
        store.close()


def audit_checked(url: str, data: Path) -> dict[str, Any]:
    """``psoreg audit verify`` of the database after the writes: ids consecutive, chain valid."""
    from psoreg.store import audit
    from psoreg.store.db import make_engine, read_secret

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            v = audit.verify(conn, read_secret(data))
    finally:
        engine.dispose()
    return {"entries": v.checked, "ok": v.ok, "problems": v.problems[:5]}


def ids_of(url: str, limit: int | None = None) -> tuple[list[int], list[tuple[int, str]]]:
    from sqlalchemy import select

    from psoreg.store import open_store
    from psoreg.store.models import CourseRow, PatientRow

    store = open_store(url, upgrade=False)
    try:
        with store.reader() as s:
            pats = list(s.scalars(select(PatientRow.id).order_by(PatientRow.id).limit(limit)))
            courses = [
                (pk, start.isoformat())
                for pk, start in s.execute(
                    select(CourseRow.id, CourseRow.start_date).where(CourseRow.stop_date.is_(None))
                )
            ]
        return pats, courses
    finally:
        store.close()


# --- the benchmark -----------------------------------------------------------------------------


def fmt(r: dict[str, Any]) -> str:
    return (
        f"{r['name']:<26} {r['clients']:>3} clients  {r['rps']:>8.1f} req/s"
        f"  p50 {r['p50_ms']:>7.1f}  p95 {r['p95_ms']:>7.1f}  p99 {r['p99_ms']:>7.1f} ms"
        f"  errors {r['errors']}"
    )


def machine() -> dict[str, Any]:
    import fastapi
    import sqlalchemy
    import starlette
    import uvicorn

    info = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "uvicorn": uvicorn.__version__,
        "fastapi": fastapi.__version__,
        "starlette": starlette.__version__,
        "sqlalchemy": sqlalchemy.__version__,
    }
    for mod in ("uvloop", "httptools", "duckdb", "psycopg"):
        try:
            info[mod] = __import__(mod).__version__
        except ImportError:
            info[mod] = None
    import sqlite3

    info["sqlite"] = sqlite3.sqlite_version
    return info


def write_phase(url: str, data: Path, workers: int, n: int, seconds: float) -> dict[str, Any]:
    pats, courses = ids_of(url)
    server = Server(url, data, workers)
    try:
        w = asyncio.run(writers(server.port, n, seconds, pats, courses))
        same = asyncio.run(same_patient_courses(server.port, pats[0]))
    finally:
        server.stop()
    res: Result = w["result"]
    out = {**res.row(), "db": count_acked(url, w["acked"]), "same_patient": same}
    out["audit_chain"] = audit_checked(url, data)
    return out


def read_phase(url: str, data: Path, workers: int, seconds: float, warmup: float) -> dict[str, Any]:
    """Step 3: the reads, on one server; returns ``reads`` and the patient page's shares."""
    results: dict[str, Any] = {}
    pats, _ = ids_of(url)
    server = Server(url, data, workers)
    reads = []
    try:
        # warm-up, not counted: every worker compiles its templates and queries, fills its
        # connection pool and SQLite page cache, and the OS caches the registry's file
        # (without it the first measured phase's figure varied 87-199 req/s between runs)
        for name, paths in (
            ("warm-up /healthz", lambda: "/healthz"),
            ("warm-up patient page", lambda: f"/patients/{random.choice(pats)}"),
        ):
            r = asyncio.run(load(server.port, name, paths, 10, warmup)).row()
            print(fmt(r), "(not counted)", flush=True)
        for clients in (10, 50):
            for name, paths in (
                ("trivial /healthz", lambda: "/healthz"),
                ("patient page", lambda: f"/patients/{random.choice(pats)}"),
            ):
                r = asyncio.run(load(server.port, name, paths, clients, seconds)).row()
                reads.append(r)
                print(fmt(r), flush=True)
        for name, path in (
            ("patient list", "/patients"),
            ("patient list, filtered", "/patients?flag=secondary_failure&page=2"),
            ("dashboard", "/dashboard"),
            ("export outcomes.csv", "/export/outcomes.csv"),
        ):
            r = asyncio.run(load(server.port, name, lambda p=path: p, 1, seconds)).row()
            reads.append(r)
            print(fmt(r), flush=True)
        analyst = load(
            server.port, "dashboard (analyst)", lambda: "/dashboard", 1, seconds, "analyst"
        )
        r = asyncio.run(analyst).row()
        reads.append(r)
        print(fmt(r), flush=True)
    finally:
        server.stop()
    results["reads"] = reads
    by = {(r["name"], r["clients"]): r for r in reads}
    for clients in (10, 50):
        share = by[("patient page", clients)]["rps"] / by[("trivial /healthz", clients)]["rps"]
        results[f"patient_share_{clients}"] = share
        print(f"patient page throughput / trivial endpoint, {clients} clients: {share:.0%}")
    return results


def main() -> None:
    patients = int(os.environ.get("BENCH_WEB_PATIENTS", "10000"))
    seconds = float(os.environ.get("BENCH_WEB_SECONDS", "10"))
    warmup = float(os.environ.get("BENCH_WEB_WARMUP", "5"))
    wseconds = float(os.environ.get("BENCH_WEB_WRITE_SECONDS", "60"))
    nwriters = int(os.environ.get("BENCH_WEB_WRITERS", "50"))
    workers = int(os.environ.get("BENCH_WEB_WORKERS", str(os.cpu_count() or 1)))
    do_writes = os.environ.get("BENCH_WEB_WRITES", "1") != "0"
    do_reads = os.environ.get("BENCH_WEB_READS", "1") != "0"
    write_dbs = os.environ.get("BENCH_WEB_WRITE_DBS", "sqlite,postgresql").split(",")
    seeded = os.environ.get("BENCH_WEB_REGISTRY")
    work = Path(tempfile.mkdtemp(prefix="psoreg-bench-web-"))
    results: dict[str, Any] = {"machine": machine(), "workers": workers}
    print("machine:", json.dumps(results["machine"]), f"workers: {workers}", flush=True)
    try:
        data = work / "sqlite"
        data.mkdir()
        url = f"sqlite:///{data / 'registry.sqlite3'}"
        t0 = time.perf_counter()
        if seeded:  # a registry seeded before (its folder: registry.sqlite3 and secret.key)
            for name in ("registry.sqlite3", "secret.key"):
                shutil.copy2(Path(seeded) / name, data / name)
            results["seed"] = {"copied_from": seeded}
        else:
            results["seed"] = seed_registry(url, patients, work, data)
            if os.environ.get("BENCH_WEB_KEEP"):  # keep the seeded registry for later runs
                keep = Path(os.environ["BENCH_WEB_KEEP"])
                keep.mkdir(parents=True, exist_ok=True)
                for name in ("registry.sqlite3", "secret.key"):
                    shutil.copy2(data / name, keep / name)
        print(f"seeded {results['seed']} in {time.perf_counter() - t0:.0f} s", flush=True)
        if do_reads:
            results.update(read_phase(url, data, workers, seconds, warmup))
        else:
            print("reads: skipped (BENCH_WEB_READS=0)")

        if not do_writes:
            print("writes: skipped (BENCH_WEB_WRITES=0)")
        else:
            if "sqlite" in write_dbs:
                results["writes_sqlite"] = write_phase(url, data, workers, nwriters, wseconds)
                print("SQLite writes:", json.dumps(results["writes_sqlite"]), flush=True)
            has_pg = shutil.which("initdb") and shutil.which("pg_ctl")
            if "postgresql" in write_dbs and has_pg:
                from tests.web_conftest import PgServer

                pg = PgServer(max_connections=300)
                try:
                    pg_url = pg.fresh()
                    pg_data = work / "pg"
                    pg_data.mkdir()
                    results["seed_pg"] = seed_registry(pg_url, patients, work, pg_data)
                    results["writes_postgresql"] = write_phase(
                        pg_url, pg_data, workers, nwriters, wseconds
                    )
                    pg_writes = json.dumps(results["writes_postgresql"])
                    print("PostgreSQL writes:", pg_writes, flush=True)
                finally:
                    pg.stop()
            elif "postgresql" in write_dbs:
                print("PostgreSQL writes: skipped (initdb/pg_ctl not installed)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if os.environ.get("BENCH_WEB_JSON"):
        Path(os.environ["BENCH_WEB_JSON"]).write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
