"""Label printing speed, memory and size, side by side with the zint CLI.

Prints, for the same addresses in the same run (medians of ROUNDS rounds):

- the zint CLI in batch mode (QR, level M, one PNG per code): codes/s;
- our 10,000-label A4 PDF (template a4-rect), on all cores and on one: labels/s,
  and the ratio to zint (target: at least 1.0);
- the same through ``appletrace labels print`` on a fresh SQLite database;
- anchors: python-qrcode and zxing-cpp, ms per code;
- 100,000 labels in one PDF: peak memory of the process and of its workers
  (target: under 200 MB), bytes per label (target: under 1 KB).

Run: ``.venv/bin/python bench/labels.py`` (a few minutes on two cores).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from appletrace.labels.job import LabelJob
from appletrace.labels.render import render, write_file
from appletrace.labels.templates import load_template
from appletrace.labels.text import LabelText
from appletrace.trace import serials

ROUNDS = 3
COUNT = 10_000
LARGE = 100_000
PREFIX = "https://trace.example.cn/01/06901234567892/10/ZY25-FJ-001/21/"
TEXT = LabelText("ZY25-FJ-001", "洒渔示范果园", "昭阳区", 1935.0)


def job(count: int, run_id: int = 1234) -> LabelJob:
    """A job of ``count`` labels on a made-up run (run ids of 4 digits)."""
    template = load_template("a4-rect")
    key = serials.run_key("bench-secret", run_id, "b" * 32)

    return LabelJob(key, PREFIX, 0, count, template, template.dpi, TEXT)


def seconds(action: Callable[[], object]) -> float:
    """Wall time of one call."""
    start = time.perf_counter()
    action()

    return time.perf_counter() - start


def zint_batch(uris: list[str], folder: Path) -> Callable[[], None]:
    """A call that runs the zint CLI on the addresses: one PNG file per line."""
    source = folder / "uris.txt"
    source.write_text("\n".join(uris) + "\n")
    out = folder / "zint"

    def once() -> None:
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir()
        subprocess.run(
            ["zint", "-b", "QRCODE", "--secure=2", "--batch", "--filetype=png"]
            + ["-o", str(out / "~~~~~.png"), "-i", str(source)],
            check=True,
            capture_output=True,
        )

    return once


def interleaved(actions: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Median seconds of each action, the actions taking turns in each round.

    The machine is shared: taking turns exposes every contender to the same load.
    """
    times: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(ROUNDS):
        for name, action in actions.items():
            times[name].append(seconds(action))

    return {name: statistics.median(values) for name, values in times.items()}


def cli_print(count: int, folder: Path) -> Callable[[], object]:
    """A call of 'appletrace labels print' on a prepared SQLite database."""
    env = {**os.environ, "APPLETRACE_INSTANCE_PATH": str(folder / "instance")}
    env["APPLETRACE_SECRET_KEY"] = "bench-secret"
    app = str(Path(sys.executable).parent / "appletrace")
    setup = [
        ["db", "upgrade"],
        ["orgs", "add", "洒渔苹果合作社", "--gtin", "6901234567892"],
        ["orgs", "add", "昭阳包装厂", "--kind", "packing_house"],
        [
            "orchards",
            "add",
            "ZY-SAYU-01",
            "--name",
            "洒渔示范果园",
            "--county",
            "530602",
        ]
        + ["--latitude", "27.387", "--longitude", "103.588", "--altitude", "1935"],
        ["lots", "add", "ZY25-FJ-001", "--orchard", "ZY-SAYU-01", "--variety", "富士"]
        + ["--from", "2025-04-20", "--harvested", "2025-10-20"],
    ]
    for args in setup:
        subprocess.run([app, *args], env=env, check=True, capture_output=True)

    command = [app, "labels", "print", "ZY25-FJ-001", "--count", str(count)]
    command += ["--out", str(folder / "cli.pdf")]

    return lambda: subprocess.run(command, env=env, check=True, capture_output=True)


def encoder_ms() -> tuple[float, float]:
    """Milliseconds per code: python-qrcode (100 codes), zxing-cpp (2,000)."""
    import qrcode
    import zxingcpp

    uris = job(2000).uris(0, 2000)

    def pure() -> None:
        for uri in uris[:100]:
            code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
            code.add_data(uri)
            code.make(fit=True)

    def native() -> None:
        for uri in uris:
            zxingcpp.create_barcode(uri, zxingcpp.BarcodeFormat.QRCode, ec_level="M")

    times = interleaved({"pure": pure, "native": native})

    return times["pure"] * 10, times["native"] / 2


def write_large(path: str) -> None:
    """Write LARGE labels into one PDF (run in a child process)."""
    write_file(Path(path), render(job(LARGE), "pdf"))


def _tree(pid: int) -> list[int]:
    found = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            children = (task / "children").read_text().split()
            for child in children:
                found += _tree(int(child))

    return found


def _memory(pid: int) -> tuple[int, int]:
    """RSS and PSS of a process in kB (0 once it has gone)."""
    values = {"Rss": 0, "Pss": 0}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            key = line.split(":")[0]
            if key in values:
                values[key] = int(line.split()[1])

    return values["Rss"], values["Pss"]


def large(folder: Path) -> tuple[float, float, float, float]:
    """Seconds, peak MB (RSS sum, PSS sum) of the process tree, bytes per label.

    RSS counts pages shared by processes once per process; PSS splits them, so
    the PSS sum is the memory the whole job occupies.
    """
    target = folder / "large.pdf"
    code = (
        "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); "
        "import labels as bench; from appletrace.labels.render import render, "
        "write_file; write_file(Path(sys.argv[2]), "
        "render(bench.job(bench.LARGE), 'pdf'))"
    )
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(Path(__file__).parent), str(target)]
    )
    peak_rss = peak_pss = 0
    while child.poll() is None:
        sizes = [_memory(pid) for pid in _tree(child.pid)]
        peak_rss = max(peak_rss, sum(r for r, _ in sizes))
        peak_pss = max(peak_pss, sum(p for _, p in sizes))
        time.sleep(0.1)

    elapsed = time.perf_counter() - start
    if child.returncode:
        raise SystemExit(f"the 100,000-label run failed with status {child.returncode}")

    return elapsed, peak_rss / 1024, peak_pss / 1024, target.stat().st_size / LARGE


def main() -> None:
    """Measure and print every figure."""
    cores = os.cpu_count() or 1
    version = subprocess.run(["zint", "--version"], capture_output=True, text=True)
    print(
        f"labels benchmark: {cores} cores, zint {version.stdout.split()[-1]}, ", end=""
    )
    print(f"medians of {ROUNDS} rounds taken in turns; load {_load()}")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        uris = job(COUNT).uris(0, COUNT)
        target = folder / "labels.pdf"
        times = interleaved(
            {
                "zint": zint_batch(uris, folder),
                "ours": lambda: write_file(target, render(job(COUNT), "pdf")),
                "one": lambda: write_file(target, render(job(COUNT), "pdf", workers=1)),
                "cli": cli_print(COUNT, folder),
            }
        )
        pure, native = encoder_ms()
        elapsed, rss, pss, per_label = large(folder)

    rate = {name: COUNT / value for name, value in times.items()}
    zint = rate["zint"]
    rows = [
        ("zint CLI batch, one PNG file per code", "zint", "codes/s", ""),
        (f"A4 PDF, {cores} processes", "ours", "labels/s", "  (target >= 1.00x)"),
        ("A4 PDF, 1 process", "one", "labels/s", ""),
        (
            "appletrace labels print (SQLite)",
            "cli",
            "labels/s",
            "  (start-up included)",
        ),
    ]
    print(f"{COUNT:,} labels, the same addresses:")
    for title, key, unit, note in rows:
        print(f"  {title:40} {rate[key]:7,.0f} {unit:8} {rate[key] / zint:5.2f}x{note}")

    print(f"anchors: python-qrcode {pure:.2f} ms/code, zxing-cpp {native:.3f} ms/code")
    print(f"{LARGE:,} labels in one A4 PDF: {elapsed:.1f} s")
    print(f"  peak memory of all processes: PSS {pss:.0f} MB (target < 200)", end="")
    print(f", RSS {rss:.0f} MB")
    print(f"  PDF size: {per_label:.0f} bytes per label (target < 1,024)")
    print(f"load at the end {_load()} (other programs share the cores)")


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
