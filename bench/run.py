"""The HTTP benchmark: UniCRM and the asyncpg baseline side by side (never run by CI).

.venv/bin/python -m bench.run [--workers 1 2] [--scenarios 360 list search mutations segment]
    [--rounds 3] [--duration 20] [--warmup 5] [--concurrency 16] [--profile]

Needs ``wrk`` (Debian package) and a database made by ``bench.generate``. For every round,
worker count and server (UniCRM, then the baseline for scenarios 1 and 2) it starts the server,
checks that both answer scenarios 1 and 2 with the same bytes, warms up, then measures each
scenario for ``--duration`` seconds with ``wrk`` at ``--concurrency`` connections, requests
drawing random ids and cursors. Rounds interleave the servers because this machine is noisy;
the report takes medians. Per scenario it records req/s, p50/p90/p99, server CPU ms/request
(every process of the server), PostgreSQL CPU ms/request (the backends serving the database),
SQL statements per request (counted in-process, UniCRM only), RSS per worker and errors.
``--profile`` records a py-spy flame graph of one UniCRM worker during scenario 1.

Writes bench/results/http.json and bench/results/http.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from bench.generate import DEFAULT_URL, asyncpg_dsn
from bench.scenarios import SCENARIOS, Sample, Scenario

HERE = Path(__file__).parent
RESULTS = HERE / "results"
WRK_SCRIPT = HERE / "wrk.lua"
UNICRM_PORT, BASELINE_PORT = 8710, 8720
USER, PASSWORD = "admin@demo.unicrm.app", "unicrm-demo"
BODIES_PER_OPERATION = 2_000
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    started_seconds: float

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def pids(self) -> list[int]:
        """The server process and all its descendants (uvicorn's workers)."""
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                children.setdefault(ppid, []).append(int(entry.name))
        found, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo.extend(children.get(pid, []))
        return found

    def workers(self) -> list[int]:
        """The processes that serve requests: the children when there are any."""
        pids = self.pids()
        python = [p for p in pids[1:] if _is_python(p)]
        return python or pids[:1]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _is_python(pid: int) -> bool:
    try:
        return "python" in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode()
    except OSError:
        return False


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / TICKS
    return out


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def server_env(database_url: str) -> dict[str, str]:
    """Production settings, as an operator would run UniCRM."""
    return {
        **os.environ,
        "UNICRM_DATABASE_URL": database_url,
        "UNICRM_ENVIRONMENT": "production",
        "UNICRM_SECRET_KEY": secrets.token_urlsafe(48),
        "UNICRM_AUTH__SIGNING_KEYS": json.dumps({"bench": secrets.token_urlsafe(48)}),
        "UNICRM_LOG_LEVEL": "WARNING",
        "UNICRM_BENCH_DSN": asyncpg_dsn(database_url),
    }


def start(name: str, database_url: str, workers: int) -> Server:
    bin_dir = Path(sys.executable).parent
    if name == "unicrm":
        port = UNICRM_PORT
        command = [str(bin_dir / "unicrm"), "serve", "--port", str(port)]
    else:
        port = BASELINE_PORT
        command = [str(bin_dir / "uvicorn"), "bench.baseline:app", "--port", str(port)]
        command += ["--loop", "uvloop", "--http", "httptools", "--no-access-log"]
    command += ["--workers", str(workers)]
    began = time.perf_counter()
    log = (RESULTS / f"{name}.log").open("ab")
    process = subprocess.Popen(
        command, env=server_env(database_url), cwd=HERE.parent, stdout=log, stderr=log
    )
    server = Server(name, process, port, 0.0)
    probe = "/healthz" if name == "unicrm" else "/graphql"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}")
        try:
            urllib.request.urlopen(server.url + probe, timeout=1)
            break
        except urllib.error.HTTPError:
            break  # answering (the baseline's /graphql refuses GET)
        except OSError:
            time.sleep(0.05)
    else:
        server.stop()
        raise RuntimeError(f"{name} did not start")
    server.started_seconds = time.perf_counter() - began
    return server


async def sample(database_url: str, rng: random.Random) -> Sample:
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        rows = await conn.fetch(
            "SELECT id, kind, display_name FROM customer TABLESAMPLE SYSTEM (20) LIMIT 20000"
        )
        phones = await conn.fetch("SELECT number FROM customer_phone LIMIT 5000")
        deals = await conn.fetch("SELECT id FROM sfa_deal TABLESAMPLE SYSTEM (20) LIMIT 20000")
        stages = await conn.fetch(
            "SELECT s.id FROM sfa_stage s JOIN sfa_pipeline p ON p.id = s.pipeline_id"
            " WHERE p.is_default"
        )
        cards = await conn.fetch("SELECT card_number FROM loyalty_member LIMIT 20000")
        products = await conn.fetch("SELECT sku, price FROM product WHERE active")
        stores = await conn.fetch("SELECT code FROM store WHERE active")
    finally:
        await conn.close()
    rows = list(rows)
    rng.shuffle(rows)
    return Sample(
        customers=[r["id"] for r in rows],
        persons=[r["id"] for r in rows if r["kind"] == "person"],
        names=[(r["display_name"], r["id"]) for r in rows],
        phones=[r["number"] for r in phones],
        deals=[r["id"] for r in deals],
        stages=[r["id"] for r in stages],
        cards=[r["card_number"] for r in cards],
        products=[(r["sku"], r["price"]) for r in products],
        stores=[r["code"] for r in stores],
    )


def token(url: str) -> str:
    data = f"grant_type=password&username={USER}&password={PASSWORD}".encode()
    answer = urllib.request.urlopen(urllib.request.Request(url + "/auth/token", data=data))
    return json.loads(answer.read())["access_token"]


def bodies(scenario: Scenario, data: Sample, rng: random.Random) -> list[bytes]:
    out = []
    for _ in range(BODIES_PER_OPERATION):
        for name, document, variables in scenario.operations:
            body = {"query": document, "operationName": name, "variables": variables(data, rng)}
            out.append(json.dumps(body, ensure_ascii=False).encode())
    return out


def fresh(body: bytes) -> bytes:
    """``body`` with its ``__N__`` placeholder (see wrk.lua) made unique."""
    return body.replace(b"__N__", uuid.uuid4().hex.encode())


def post(url: str, body: bytes, bearer: str | None) -> bytes:
    headers = {"content-type": "application/json"}
    if bearer:
        headers["authorization"] = f"Bearer {bearer}"
    request = urllib.request.Request(url + "/graphql", data=fresh(body), headers=headers)
    return urllib.request.urlopen(request, timeout=30).read()


def check(
    scenario: Scenario,
    unicrm: Server,
    baseline: Server | None,
    bearer: str,
    sample_bodies: list[bytes],
) -> None:
    """Sample bodies answer without errors, and byte-identically to the baseline (50 of
    them for the baseline's scenarios, 3 for the others)."""
    for body in sample_bodies[: 50 if baseline is not None else 3]:
        ours = post(unicrm.url, body, bearer)
        if ours.startswith(b'{"errors":'):
            raise SystemExit(f"{scenario.key}: UniCRM answered with errors: {ours[:500]!r}")
        if baseline is not None:
            theirs = post(baseline.url, body, None)
            if ours != theirs:
                raise SystemExit(
                    f"{scenario.key}: the baseline differs from UniCRM for {body[:200]!r}:\n"
                    f"{ours[:400]!r}\n{theirs[:400]!r}"
                )


async def pg_backends(database_url: str) -> list[int]:
    conn = await asyncpg.connect(asyncpg_dsn(database_url, "postgres"))
    try:
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1", make_url(database_url).database
        )
    finally:
        await conn.close()
    return [r["pid"] for r in rows]


def wrk(
    server: Server, body_file: Path, bearer: str | None, seconds: float, concurrency: int
) -> dict[str, Any]:
    env = {**os.environ, "BENCH_BODIES": str(body_file), "BENCH_TOKEN": bearer or ""}
    command = [
        "wrk",
        "-t1",
        f"-c{concurrency}",
        f"-d{round(seconds)}s",
        "--timeout",
        "10s",
        "-s",
        str(WRK_SCRIPT),
        server.url,
    ]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("{"))
    return json.loads(line)


def measure(
    server: Server,
    database_url: str,
    body_file: Path,
    bearer: str | None,
    args: argparse.Namespace,
    profile: Path | None,
) -> dict[str, Any]:
    wrk(server, body_file, bearer, args.warmup, args.concurrency)
    pids, backends = server.pids(), asyncio.run(pg_backends(database_url))
    before, pg_before = cpu_seconds(pids), cpu_seconds(backends)
    spy = None
    if profile is not None:
        spy = subprocess.Popen(
            [
                "py-spy",
                "record",
                "-o",
                str(profile),
                "-d",
                str(int(args.duration)),
                "-p",
                str(server.workers()[0]),
                "-r",
                "200",
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    result = wrk(server, body_file, bearer, args.duration, args.concurrency)
    if spy is not None:
        spy.wait()
    after, pg_after = cpu_seconds(pids), cpu_seconds(backends)
    requests = max(result["requests"], 1)
    cpu = sum(after[p] - before[p] for p in after if p in before)
    pg_cpu = sum(pg_after[p] - pg_before[p] for p in pg_after if p in pg_before)
    return {
        "rps": result["requests"] / (result["duration_us"] / 1e6),
        "p50_ms": result["p50"] / 1000,
        "p90_ms": result["p90"] / 1000,
        "p99_ms": result["p99"] / 1000,
        "server_cpu_ms": cpu * 1000 / requests,
        "pg_cpu_ms": pg_cpu * 1000 / requests,
        "rss_mb": max(rss_mb(p) for p in server.workers()),
        "errors": result["errors"] + result["socket_errors"] + result["non2xx"],
        "requests": result["requests"],
    }


async def statements(
    database_url: str, scenario_bodies: dict[str, list[bytes]]
) -> dict[str, float]:
    """SQL statements per request of each scenario, counted in one UniCRM process."""
    from unicrm.core.app import create_app
    from unicrm.core.config import load_settings
    from unicrm.core.state import create_state
    from unicrm.core.testing.servers import serve
    from unicrm.core.testing.statements import StatementCounter
    from unicrm.schema.composer import build_schema

    settings = load_settings(database_url=database_url, log_level="WARNING")
    state = create_state(settings, schema_factory=build_schema)
    out: dict[str, float] = {}
    app = create_app(state=state)
    async with (
        app.router.lifespan_context(app),
        serve(app) as url,
        httpx.AsyncClient(base_url=url, timeout=120) as http,
    ):
        answer = await http.post(
            "/auth/token",
            data={"grant_type": "password", "username": USER, "password": PASSWORD},
        )
        headers = {
            "authorization": f"Bearer {answer.json()['access_token']}",
            "content-type": "application/json",
        }
        for key, sample_bodies in scenario_bodies.items():
            await http.post("/graphql", content=fresh(sample_bodies[0]), headers=headers)
            counts = []
            for body in sample_bodies[1:11]:
                with StatementCounter(state) as counter:
                    answer = await http.post("/graphql", content=fresh(body), headers=headers)
                if answer.status_code != 200 or answer.content.startswith(b'{"errors":'):
                    raise SystemExit(f"{key}: {answer.status_code} {answer.content[:300]!r}")
                counts.append(counter.count)
            out[key] = statistics.mean(counts)
            print(f"{key}: {out[key]:.1f} SQL statements per request", flush=True)
    return out


def report(
    runs: list[dict[str, Any]],
    counts: dict[str, float],
    args: argparse.Namespace,
    startup: list[float],
) -> tuple[dict[str, Any], str]:
    keys = sorted({(r["scenario"], r["server"], r["workers"]) for r in runs})
    summary: dict[str, Any] = {}
    for scenario, server, workers in keys:
        mine = [
            r
            for r in runs
            if (r["scenario"], r["server"], r["workers"]) == (scenario, server, workers)
        ]
        summary[f"{scenario}/{server}/{workers}"] = {
            k: statistics.median(r[k] for r in mine)
            for k in (
                "rps",
                "p50_ms",
                "p90_ms",
                "p99_ms",
                "server_cpu_ms",
                "pg_cpu_ms",
                "rss_mb",
                "errors",
            )
        }
    lines = [
        f"{args.rounds} interleaved rounds of {args.duration:g} s (after {args.warmup:g} s "
        f"warm-up), {args.concurrency} connections, medians. UniCRM startup "
        f"{statistics.median(startup):.2f} s (median of {len(startup)}).",
        "",
        "| scenario | server | workers | req/s | p50 ms | p90 ms | p99 ms | server CPU ms/req "
        "| PG CPU ms/req | SQL/req | RSS MB/worker | errors | UniCRM / baseline |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for scenario, server, workers in keys:
        s = summary[f"{scenario}/{server}/{workers}"]
        ratio = ""
        if server == "unicrm" and f"{scenario}/baseline/{workers}" in summary:
            pairs = [
                (a["rps"], b["rps"])
                for a in runs
                for b in runs
                if a["round"] == b["round"]
                and a["workers"] == b["workers"] == workers
                and a["scenario"] == b["scenario"] == scenario
                and a["server"] == "unicrm"
                and b["server"] == "baseline"
            ]
            ratio = f"{statistics.median(a / b for a, b in pairs):.2f}x"
            s["ratio"] = round(statistics.median(a / b for a, b in pairs), 3)
        sql = f"{counts[scenario]:.0f}" if server == "unicrm" and scenario in counts else ""
        lines.append(
            f"| {SCENARIOS[scenario].title} | {server} | {workers} | {s['rps']:,.0f} "
            f"| {s['p50_ms']:.1f} | {s['p90_ms']:.1f} | {s['p99_ms']:.1f} "
            f"| {s['server_cpu_ms']:.2f} | {s['pg_cpu_ms']:.2f} | {sql} | {s['rss_mb']:.0f} "
            f"| {s['errors']:.0f} | {ratio} |"
        )
    data = {
        "summary": summary,
        "runs": runs,
        "statements": counts,
        "startup_s": startup,
        "settings": vars(args),
    }
    return data, "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--scenarios", nargs="+", default=list(SCENARIOS), choices=SCENARIOS)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    data = asyncio.run(sample(args.database_url, rng))
    scenarios = [SCENARIOS[k] for k in args.scenarios]
    files: dict[str, Path] = {}
    payloads: dict[str, list[bytes]] = {}
    tmp = Path(tempfile.mkdtemp(prefix="unicrm-bench-"))
    for scenario in scenarios:
        payloads[scenario.key] = bodies(scenario, data, rng)
        files[scenario.key] = tmp / f"{scenario.key}.jsonl"
        files[scenario.key].write_bytes(b"\n".join(payloads[scenario.key]) + b"\n")
    RESULTS.mkdir(exist_ok=True)
    counts = asyncio.run(statements(args.database_url, payloads))

    runs: list[dict[str, Any]] = []
    startup: list[float] = []
    for round_no in range(args.rounds):
        for workers in args.workers:
            unicrm = start("unicrm", args.database_url, workers)
            startup.append(unicrm.started_seconds)
            bearer = token(unicrm.url)
            baseline = None
            if any(s.baseline for s in scenarios):
                baseline = start("baseline", args.database_url, workers)
            try:
                for scenario in scenarios:
                    check(
                        scenario,
                        unicrm,
                        baseline if scenario.baseline else None,
                        bearer,
                        payloads[scenario.key],
                    )
                for scenario in scenarios:
                    targets = [(unicrm, bearer)]
                    if scenario.baseline and baseline is not None:
                        targets.append((baseline, None))
                    if round_no % 2:
                        targets.reverse()
                    for server, auth in targets:
                        profile = None
                        if (
                            args.profile
                            and round_no == 0
                            and workers == 1
                            and scenario.key == "360"
                            and server is unicrm
                        ):
                            profile = RESULTS / "profile-360.svg"
                        result = measure(
                            server, args.database_url, files[scenario.key], auth, args, profile
                        )
                        runs.append(
                            {
                                "round": round_no,
                                "workers": workers,
                                "scenario": scenario.key,
                                "server": server.name,
                                **result,
                            }
                        )
                        print(
                            f"round {round_no + 1} workers {workers} {scenario.key:<9} "
                            f"{server.name:<8} {result['rps']:8,.0f} req/s "
                            f"p99 {result['p99_ms']:6.1f} ms "
                            f"cpu {result['server_cpu_ms']:.2f} ms/req",
                            flush=True,
                        )
            finally:
                unicrm.stop()
                if baseline is not None:
                    baseline.stop()
    data_out, markdown = report(runs, counts, args, startup)
    (RESULTS / "http.json").write_text(json.dumps(data_out, indent=2) + "\n")
    (RESULTS / "http.md").write_text(markdown)
    print(markdown)


if __name__ == "__main__":
    main()
