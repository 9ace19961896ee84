"""Benchmark the web application under a bounded load (issue #6).

Starts ``tkiresist serve`` on 127.0.0.1 (a free port, a fresh SQLite registry with the bundled
dataset, one curator account) in a subprocess, logs in once, then for each endpoint and each
number of concurrent clients sends a fixed number of requests (stopping early at a time limit)
with an httpx async client, over loopback only:

* ``POST /api/interpret``: the seed patient (examples/cheung2025/case.yaml) as a JSON body;
* ``GET /api/registry/summary?dataset=cheung2025-table1``: the pooled evidence summary.

Prints, per endpoint and concurrency: requests completed, errors, p50 and p95 latency (ms) and
throughput (requests per second). Target (issue #6): p95 under 100 ms for interpret at 10
concurrent clients on the 2-core machine.

Run: ``python benchmarks/web.py [--requests 500] [--duration 30] [--clients 1 10 50]
[--workers 1]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "examples" / "cheung2025" / "case.yaml"
USER, PASSWORD = "bench", "benchmark password"


@dataclass
class Result:
    endpoint: str
    clients: int
    completed: int
    errors: int
    p50_ms: float
    p95_ms: float
    throughput: float
    seconds: float


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _quantile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank quantile (the smallest value with at least p of the data at or below)."""
    rank = max(1, math.ceil(p * len(sorted_values)))
    return sorted_values[rank - 1]


def start_server(db: str, port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "tkiresist", "serve", "--db", db, "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--workers", str(workers)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(cmd, stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise SystemExit("the server did not start:\n" + log.read_text())
        time.sleep(0.2)


async def run_load(
    client: httpx.AsyncClient,
    request: httpx.Request,
    clients: int,
    total: int,
    duration: float,
) -> tuple[list[float], int, float]:
    """``clients`` workers send copies of ``request`` until ``total`` are done or
    ``duration`` seconds pass; return latencies (s), error count and wall time."""
    latencies: list[float] = []
    errors = 0
    issued = 0
    start = time.perf_counter()
    stop_at = start + duration

    async def worker() -> None:
        nonlocal issued, errors
        while issued < total and time.perf_counter() < stop_at:
            issued += 1
            t0 = time.perf_counter()
            response = await client.send(request)
            await response.aread()
            latencies.append(time.perf_counter() - t0)
            if response.status_code != 200:
                errors += 1

    await asyncio.gather(*(worker() for _ in range(clients)))
    return latencies, errors, time.perf_counter() - start


async def bench(base: str, args: argparse.Namespace) -> list[Result]:
    limits = httpx.Limits(max_connections=max(args.clients) + 5, max_keepalive_connections=100)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        login = await client.post("/api/login", json={"name": USER, "password": PASSWORD})
        login.raise_for_status()
        csrf = login.json()["csrf_token"]
        body = json.dumps(yaml.safe_load(SEED.read_text(encoding="utf-8"))).encode()
        endpoints = {
            "POST /api/interpret": client.build_request(
                "POST",
                "/api/interpret",
                content=body,
                headers={"content-type": "application/json", "x-csrf-token": csrf},
            ),
            "GET /api/registry/summary": client.build_request(
                "GET", "/api/registry/summary", params={"dataset": "cheung2025-table1"}
            ),
        }
        results = []
        for name, request in endpoints.items():
            first = await client.send(request)
            await first.aread()
            if first.status_code != 200:
                raise SystemExit(f"{name}: HTTP {first.status_code}: {first.text[:500]}")
            await run_load(client, request, 4, args.warmup, args.duration)  # warm up
            for clients in args.clients:
                latencies, errors, wall = await run_load(
                    client, request, clients, args.requests, args.duration
                )
                latencies.sort()
                results.append(
                    Result(
                        endpoint=name,
                        clients=clients,
                        completed=len(latencies),
                        errors=errors,
                        p50_ms=1000 * _quantile(latencies, 0.50),
                        p95_ms=1000 * _quantile(latencies, 0.95),
                        throughput=len(latencies) / wall,
                        seconds=wall,
                    )
                )
        return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=500, help="requests per measurement")
    parser.add_argument(
        "--duration", type=float, default=30.0, help="seconds per measurement, at most"
    )
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--warmup", type=int, default=40, help="requests before measuring")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    args = parser.parse_args()

    from tkiresist.registry.opening import open_registry
    from tkiresist.web.store import WebStore, migrate_web

    with tempfile.TemporaryDirectory(prefix="tkiresist-bench-") as folder:
        db = f"sqlite:///{Path(folder) / 'registry.sqlite'}"
        with open_registry(db) as registry:  # the bundled dataset is loaded on first use
            migrate_web(registry.engine)
            WebStore(registry.engine).add_user(USER, PASSWORD, "curator", who="benchmark")
        port = _free_port()
        log = Path(folder) / "server.log"
        proc = start_server(db, port, args.workers, log)
        try:
            results = asyncio.run(bench(f"http://127.0.0.1:{port}", args))
        finally:
            proc.terminate()
            proc.wait(timeout=30)

    cpus = os.cpu_count()
    print(f"tkiresist web benchmark: 127.0.0.1, {args.workers} server worker(s), {cpus} CPUs, "
          f"{args.requests} requests per row (or {args.duration:g} s)")  # fmt: skip
    print(f"{'endpoint':<28}{'clients':>8}{'done':>7}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}"
          f"{'req/s':>9}")  # fmt: skip
    for r in results:
        print(f"{r.endpoint:<28}{r.clients:>8}{r.completed:>7}{r.errors:>8}{r.p50_ms:>9.1f}"
              f"{r.p95_ms:>9.1f}{r.throughput:>9.1f}")  # fmt: skip
    target = next(
        (r for r in results if r.endpoint == "POST /api/interpret" and r.clients == 10), None
    )
    if target is not None:
        verdict = "met" if target.p95_ms < 100 else "NOT met"
        print(
            f"target p95 < 100 ms for interpret at 10 clients: {verdict} ({target.p95_ms:.1f} ms)"
        )


if __name__ == "__main__":
    main()
