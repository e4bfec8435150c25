"""The consumer scan under load: ``appletrace serve`` against nginx, side by side.

    .venv/bin/python bench/scan.py [--rounds 3] [--duration 10] [--rebuild] [--compare]

Two PostgreSQL databases are filled with bulk SQL (kept between runs in
build/bench/ unless --rebuild): *small* holds 100,000 labels over 1,000 lots and
10,000 readings; *large* holds 1,000,000 labels over the same 1,000 lots and
10,000,000 readings. ``wrk -t2 -c50`` then requests random serials of each,
spread over 100,000 labels (every request renders a page and records a scan),
and nginx serves the very same page bytes as a static file in the same run.
Each round measures nginx, small and large in turn; the figures are medians
over the rounds.
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path

import psycopg

from appletrace.web.serve import THREADS

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "build" / "bench"
PG_ADMIN = os.environ.get(
    "APPLETRACE_BENCH_PG", "host=127.0.0.1 user=postgres dbname=test"
)
PG_URL = os.environ.get(
    "APPLETRACE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432"
)
SECRET = "bench-secret-key"
CONNECTIONS = 50
BASE_URL = "https://trace.example.cn"
LOTS = 1000
ORCHARDS = 100
# Addresses wrk picks from: every label of *small*, one in ten of *large*, so
# requests spread over 100,000 labels as phones' scans would.
SAMPLE = 100_000
WINDOW = (date(2025, 4, 20), date(2025, 10, 20))
DATASETS = {
    "small": {"labels_per_lot": 100, "readings": 10_000},
    "large": {"labels_per_lot": 1000, "readings": 10_000_000},
}
WRK_SCRIPT = """
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
local n = 0
setup = function(thread) n = n + 1; thread:set("seed", n) end
init = function() math.randomseed(os.time() * 7 + seed) end
request = function() return wrk.format("GET", paths[math.random(#paths)]) end
"""
NGINX_CONF = """
worker_processes 2;
daemon off;
pid {out}/nginx.pid;
error_log {out}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {out}/tmp;
  proxy_temp_path {out}/tmp;
  fastcgi_temp_path {out}/tmp;
  uwsgi_temp_path {out}/tmp;
  scgi_temp_path {out}/tmp;
  server {{
    listen 127.0.0.1:{port};
    root {out}/static;
    location / {{ default_type text/html; try_files /page.html =404; }}
  }}
}}
"""


def sql(dbname: str, statement: str, params: tuple = ()) -> None:
    with psycopg.connect(f"host=127.0.0.1 user=postgres dbname={dbname}") as conn:
        conn.execute(statement, params)


def build(name: str, labels_per_lot: int, readings: int) -> Path:
    """Create and fill one database; returns the file of sampled paths."""
    dbname = f"appletrace_bench_{name}"
    paths = OUT / f"{name}-paths.txt"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{dbname}"')

    url = f"{PG_URL}/{dbname}"
    env = {**_env(url), "PATH": os.environ["PATH"]}
    subprocess.run([_bin("appletrace"), "db", "upgrade"], env=env, check=True)
    started = time.monotonic()
    _fill_registry(url, labels_per_lot, paths)
    _fill_readings(dbname, readings)
    print(f"  built {name} in {time.monotonic() - started:.0f} s", flush=True)

    return paths


def _fill_registry(url: str, labels_per_lot: int, paths: Path) -> None:
    """Orchards, lots, daily summaries and label runs, and a sample of paths."""
    from sqlmodel import Session

    from appletrace.trace import lots, orchards
    from appletrace.trace.db import make_engine
    from appletrace.trace.label_runs import create_label_run, label_uris
    from appletrace.trace.organizations import add_organization

    engine = make_engine(url)
    rng = random.Random(5)
    sample: list[str] = []
    with Session(engine) as session:
        coop = add_organization(
            session, "昭通洒渔苹果专业合作社", "coop", phone="0870-0000000"
        )
        house = add_organization(session, "昭阳区果品包装厂", "packing_house")
        plots = [
            orchards.add_orchard(
                session,
                coop,
                "bench",
                code=f"ZY-B{n:03d}",
                name=f"洒渔果园{n}",
                county_code="530602",
                township="洒渔镇",
                latitude=27.38 + n / 1e3,
                longitude=103.58,
                altitude_m=1900.0 + n,
                variety="富士",
            )
            for n in range(ORCHARDS)
        ]
        for n in range(LOTS):
            lot = lots.add_lot(
                session,
                coop,
                plots[n % ORCHARDS],
                "bench",
                date(2026, 1, 1),
                code=f"ZY25-B{n:04d}",
                variety="富士",
                window_start=WINDOW[0],
                harvested_on=WINDOW[1],
                quantity_kg=12000.0,
                grade="一级",
            )
            run = create_label_run(
                session, lot, house, "06901234567892", labels_per_lot, "bench", SECRET
            )
            for index in rng.sample(range(labels_per_lot), SAMPLE // LOTS):
                uri = next(label_uris(run, lot, BASE_URL, SECRET, index, index + 1))
                sample.append(uri.removeprefix(BASE_URL))

        session.commit()

    engine.dispose()
    paths.write_text("\n".join(sample) + "\n")


def _fill_readings(dbname: str, readings: int) -> None:
    """Devices, readings and a season of daily summaries, all in bulk SQL."""
    sql(
        dbname,
        "INSERT INTO device (id, orchard_id, kind, active, created_at) "
        "SELECT 'bench-' || id, id, 'weather', true, now() FROM orchard",
    )
    sql(
        dbname,
        "INSERT INTO reading (device_id, quantity, taken_at, value, unit, received_at) "
        "SELECT 'bench-' || (SELECT min(id) FROM orchard) + g %% %s, 'temperature', "
        "timestamptz '2025-04-20 00:00+08' + (g / %s) * interval '1 minute', "
        "10 + random() * 15, 'Cel', now() FROM generate_series(0, %s - 1) g",
        (ORCHARDS, ORCHARDS, readings),
    )
    # Sunshine as the model stores it: seconds above 120 W/m², or (with hour
    # masks) the count of irradiance readings above it.
    with psycopg.connect(f"host=127.0.0.1 user=postgres dbname={dbname}") as conn:
        columns = {
            row[0]
            for row in conn.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'daily_summary'"
            )
        }
    if "sunshine_count" in columns:
        sun_columns = "sunshine_count, temperature_hours, irradiance_hours"
        sun_values = "30 + floor(random() * 25)::int, 16777215, 16777215"
    else:
        sun_columns, sun_values = "sunshine_s", "18000 + random() * 14400"

    sql(
        dbname,
        "INSERT INTO daily_summary (orchard_id, day, temperature_min, temperature_max, "
        "temperature_sum, temperature_count, humidity_sum, humidity_count, pm25_sum, "
        f"pm25_count, irradiance_sum, irradiance_count, {sun_columns}, altitude_sum, "
        "altitude_count, updated_at) "
        "SELECT o.id, d::date, t.lo, t.lo + 9 + random() * 6, (t.lo + 7) * 144, 144, "
        f"75 * 144, 144, 12 * 144, 144, 250 * 144, 144, {sun_values}, "
        "o.altitude_m * 24, 24, now() "
        "FROM orchard o, generate_series(%s::date, %s::date, interval '1 day') d, "
        "LATERAL (SELECT 6 + 8 * sin(extract(doy FROM d) / 58.0) + random() AS lo) t",
        WINDOW,
    )
    with psycopg.connect(
        f"host=127.0.0.1 user=postgres dbname={dbname}", autocommit=True
    ) as conn:
        conn.execute("VACUUM ANALYZE")


def _env(url: str) -> dict[str, str]:
    return {
        "APPLETRACE_DATABASE_URL": url,
        "APPLETRACE_SECRET_KEY": SECRET,
        "APPLETRACE_BASE_URL": BASE_URL,
        "APPLETRACE_INSTANCE_PATH": str(OUT / "instance"),
        "APPLETRACE_LOG_LEVEL": "WARNING",
    }


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def start_app(
    name: str,
    port: int,
    workers: int,
    worker_class: str | None = None,
    threads: int | None = None,
) -> subprocess.Popen:
    """``appletrace serve`` on one database: granian, or gunicorn's ``worker_class``."""
    env = {**os.environ, **_env(f"{PG_URL}/appletrace_bench_{name}")}
    command = [_bin("appletrace"), "serve", "--port", str(port)]
    command += ["--workers", str(workers)]
    if worker_class:
        command += ["--server", "gunicorn", "--worker-class", worker_class]
    elif threads:
        command += ["--threads", str(threads)]

    server = worker_class or "granian"
    log = open(OUT / f"serve-{name}-{server}.log", "w")  # noqa: SIM115
    process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
    _wait(f"http://127.0.0.1:{port}/.well-known/gs1resolver")
    return process


def start_nginx(page: bytes, port: int) -> subprocess.Popen:
    out = OUT / "nginx"
    shutil.rmtree(out, ignore_errors=True)
    (out / "static").mkdir(parents=True)
    (out / "tmp").mkdir()
    (out / "static" / "page.html").write_bytes(page)
    (out / "nginx.conf").write_text(NGINX_CONF.format(out=out, port=port))
    process = subprocess.Popen(
        ["nginx", "-c", str(out / "nginx.conf"), "-p", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait(f"http://127.0.0.1:{port}/page.html")
    return process


def _wait(url: str) -> None:
    for _ in range(100):
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.1)

    raise SystemExit(f"server at {url} did not start")


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)


def wrk(url: str, duration: int, paths: Path | None) -> dict[str, float]:
    """One wrk run: requests/s, p50 and p99 in ms, requests and errors."""
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{duration}s", "--latency", url]
    env = dict(os.environ)
    if paths is not None:
        script = OUT / "random-paths.lua"
        script.write_text(WRK_SCRIPT)
        command[1:1] = ["-s", str(script)]
        env["BENCH_PATHS"] = str(paths)

    text = subprocess.run(
        command, capture_output=True, text=True, env=env, check=True
    ).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    socket_errors = re.search(r"Socket errors: (.*)", text)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", text)[1]),  # type: ignore[index]
        "p50": _ms(re.search(r"50%\s+([\d.]+\w+)", text)[1]),  # type: ignore[index]
        "p99": _ms(re.search(r"99%\s+([\d.]+\w+)", text)[1]),  # type: ignore[index]
        "requests": float(re.search(r"(\d+) requests in", text)[1]),  # type: ignore[index]
        "errors": float(errors[1]) if errors else 0.0,
        "socket_errors": socket_errors[1] if socket_errors else "",  # type: ignore[dict-item]
    }


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(\w+)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def clear_scans(name: str) -> None:
    """Start each run with no scans: runs compare, and a label has few scans."""
    sql(f"appletrace_bench_{name}", "TRUNCATE scan")


def worker_ticks(master: int) -> dict[int, int]:
    """CPU ticks (user + system) of each worker process of a server's master."""
    ticks = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue

        if int(fields[1]) == master:  # field 4, the parent pid
            ticks[int(stat.parent.name)] = int(fields[11]) + int(fields[12])

    return ticks


def busiest_share(before: dict[int, int], after: dict[int, int]) -> float:
    """The busiest worker's share of the workers' CPU during a run (1/n = even)."""
    used = [after[pid] - before.get(pid, 0) for pid in after]
    return max(used) / sum(used) if sum(used) else 0.0


def scan_rows(name: str) -> int:
    with psycopg.connect(
        f"host=127.0.0.1 user=postgres dbname=appletrace_bench_{name}"
    ) as c:
        return int(c.execute("SELECT count(*) FROM scan").fetchone()[0])  # type: ignore[index]


def cold_figures(root: str, paths: Path, lots: int = 40) -> dict[str, float]:
    """Medians, in ms, of a lot's first page (built) and of its next label (cached).

    One request at a time, on lots nothing has opened yet; lot 0 is left to
    page_figures.
    """
    every = paths.read_text().split()
    per_lot = len(every) // LOTS
    first: list[float] = []
    next_: list[float] = []
    for lot in range(1, lots + 1):
        for times, path in (
            (first, every[lot * per_lot]),
            (next_, every[lot * per_lot + 1]),
        ):
            started = time.perf_counter()
            urllib.request.urlopen(root + path).read()
            times.append((time.perf_counter() - started) * 1000)

    return {"first": statistics.median(first), "next": statistics.median(next_)}


def warm(root: str, paths: Path) -> None:
    """Open one label of every lot once, so each lot's page part is rendered."""
    from concurrent.futures import ThreadPoolExecutor

    every = paths.read_text().split()
    per_lot = max(1, len(every) // LOTS)
    with ThreadPoolExecutor(8) as pool:
        list(
            pool.map(
                lambda p: urllib.request.urlopen(root + p).read(), every[::per_lot]
            )
        )


def page_figures(url: str) -> tuple[bytes, dict[str, int]]:
    """One page: raw and gzipped size, and where the verdict and scan line end."""
    page = urllib.request.urlopen(url).read()
    verdict = page.find("正品".encode())
    scan_line = page.find(b'class="s"')
    scan_end = page.find(b"</p>", scan_line)
    return page, {
        "raw": len(page),
        "gzip": len(gzip.compress(page, 6)),
        "verdict_at": verdict,
        "scan_line_ends_at": scan_end + 4,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--threads", type=int, default=THREADS, help="granian's threads per worker"
    )
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--only", choices=sorted(DATASETS), default=None)
    parser.add_argument(
        "--compare",
        action="store_true",
        help="also measure gunicorn: the first release's bounded gthread (cores + 1 "
        "workers x 4 threads) and sync workers",
    )
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)

    names = [args.only] if args.only else list(DATASETS)
    paths = {}
    for name in names:
        paths[name] = OUT / f"{name}-paths.txt"
        if args.rebuild or not paths[name].exists():
            print(f"building {name}: {DATASETS[name]}", flush=True)
            paths[name] = build(name, **DATASETS[name])

    run(args, names, paths)


def run(args: argparse.Namespace, names: list[str], paths: dict[str, Path]) -> None:
    servers = {}
    port = 18600
    # Each run starts with no scans and no lots rendered by an earlier run.
    shutil.rmtree(OUT / "instance" / "cache", ignore_errors=True)
    for name in names:
        clear_scans(name)

    for n, name in enumerate(names):
        servers[name] = (
            port + n,
            start_app(name, port + n, args.workers, threads=args.threads),
        )

    if args.compare:
        cores = os.cpu_count() or 1
        servers["gthread"] = (
            port + 8,
            start_app(names[0], port + 8, cores + 1, "gthread"),
        )
        servers["sync"] = (port + 9, start_app(names[0], port + 9, 5, "sync"))
        paths["sync"] = paths["gthread"] = paths[names[0]]

    first = paths[names[0]].read_text().split()[0]
    root = f"http://127.0.0.1:{servers[names[0]][0]}"
    cold = cold_figures(root, paths[names[0]])
    page, sizes = page_figures(root + first)
    nginx = start_nginx(page, port + 20)
    results: dict[str, list[dict[str, float]]] = {"nginx": []}
    try:
        for name, (p, _) in servers.items():  # warm the lot caches and pools
            warm(f"http://127.0.0.1:{p}", paths[name])
            wrk(f"http://127.0.0.1:{p}", 20, paths[name])

        for name in names:
            sql(f"appletrace_bench_{name}", "ANALYZE scan")

        before = {name: scan_rows(name) for name in names}
        for round_ in range(args.rounds):
            results["nginx"].append(
                wrk(f"http://127.0.0.1:{port + 20}/", args.duration, None)
            )
            for name, (p, process) in servers.items():
                ticks = worker_ticks(process.pid)
                figures = wrk(f"http://127.0.0.1:{p}", args.duration, paths[name])
                figures["busiest"] = busiest_share(ticks, worker_ticks(process.pid))
                results.setdefault(name, []).append(figures)
            print(f"round {round_ + 1} done", flush=True)

        time.sleep(1)
        after = {name: scan_rows(name) for name in names}
    finally:
        stop(nginx)
        for _, process in servers.values():
            stop(process)

    report(sizes, results, before, after, args)
    print(
        f"\nlot part of the page ({names[0]}, one request at a time, 40 lots): "
        f"a lot's first page {cold['first']:.1f} ms (built), the next label of "
        f"that lot {cold['next']:.2f} ms (cached); medians"
    )


def report(sizes, results, before, after, args) -> None:  # type: ignore[no-untyped-def]
    print(
        f"\npage: {sizes['raw']} B raw, {sizes['gzip']} B gzipped; verdict at byte "
        f"{sizes['verdict_at']}, scan line ends at byte {sizes['scan_line_ends_at']}"
    )
    print(
        f"\nwrk -t2 -c50 -d{args.duration}s, {args.rounds} rounds, medians; "
        f"appletrace serve: granian {args.workers} workers x {args.threads} threads, "
        "on PostgreSQL\n"
    )
    nginx_rps = statistics.median(r["rps"] for r in results["nginx"])
    print(
        f"{'target':<34}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'x nginx':>9}"
        f"{'busiest':>9}  rounds (req/s)"
    )
    for name, rounds in results.items():
        rps = statistics.median(r["rps"] for r in rounds)
        p50 = statistics.median(r["p50"] for r in rounds)
        p99 = statistics.median(r["p99"] for r in rounds)
        label = {
            "nginx": "nginx, same bytes as a static file",
            "small": "serve: 100k labels, 10k readings",
            "large": "serve: 1M labels, 10M readings",
            "gthread": "  gunicorn gthread, 100k labels",
            "sync": "  gunicorn sync x 5, 100k labels",
        }[name]
        each = " ".join(f"{r['rps']:.0f}" for r in rounds)
        busiest = statistics.median(r.get("busiest", 0.0) for r in rounds)
        share = f"{busiest:.2f}" if name != "nginx" else "-"
        print(
            f"{label:<34}{rps:>10.0f}{p50:>9.2f}{p99:>9.2f}"
            f"{rps / nginx_rps:>9.3f}{share:>9}  {each}"
        )
        errors = sum(r["errors"] for r in rounds)
        if errors or any(r["socket_errors"] for r in rounds):
            print(
                f"  non-2xx: {errors:.0f}; socket errors: "
                f"{[r['socket_errors'] for r in rounds]}"
            )

    print(
        "\nbusiest: the busiest worker's share of the workers' CPU during a round "
        f"(even: 1/{args.workers} for serve, 1/{(os.cpu_count() or 1) + 1} for "
        "gthread, 1/5 for sync)"
    )
    # wrk counts the answers that came back within its time; the requests
    # still in flight when it stops were answered and recorded all the same,
    # so stored may exceed answered by up to one request per connection per run.
    first = next(iter(before))
    for name in before:
        servers = [name] + [
            s for s in ("gthread", "sync") if name == first and s in results
        ]
        runs = sum(len(results.get(s, [])) for s in servers)
        answered = sum(r["requests"] for s in servers for r in results.get(s, []))
        stored = after[name] - before[name]
        within = 0 <= stored - answered <= runs * CONNECTIONS
        print(
            f"\nscans stored during the rounds ({name}, by {', '.join(servers)}): "
            f"{stored}; requests answered: {answered:.0f}; stored - answered = "
            f"{stored - answered:.0f}, {'within' if within else 'OUTSIDE'} 0 to "
            f"{runs * CONNECTIONS} (requests left in flight, {CONNECTIONS} per run)"
        )


if __name__ == "__main__":
    main()
