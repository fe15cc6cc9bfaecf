"""`smsdesk contacts import` of a large CSV (default 20,000 and 100,000 rows), end to end.

Writes a CSV (name, phone, email, one custom column; a row in 500 unusable), runs the real
command in a fresh process on a fresh SQLite database, with its output piped (plain progress
lines) or on a pseudo-terminal (--tty: the progress bar), and reports the wall time, the
command's CPU time (user + system: steadier than wall time on a shared machine) and what it
printed last. --runs times each size that many times on fresh databases (medians).

Run: .venv/bin/python bench/contact_import.py [--rows 20000 100000] [--runs 1] [--tty]
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import resource
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TEAM = "TBENCH"


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write("name,phone,email,tier\n")
        for n in range(rows):
            phone = "not a number" if n % 500 == 499 else f"(202) {n // 10000:03d}-{n % 10000:04d}"
            out.write(f"Customer {n:06d},{phone},customer{n}@example.com,gold\n")


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def run(csv: Path, workdir: Path, tty: bool) -> tuple[float, float, str]:
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO),
           "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
           "SMSDESK_SETTINGS": str(workdir / "none.toml")}
    command = [sys.executable, "-m", "bot.cli", "contacts", "import", str(csv), "--team", TEAM]
    started, cpu = time.perf_counter(), _children_cpu()
    if tty:
        leader, follower = pty.openpty()
        # A terminal's size, as a person's has (a fresh pseudo-terminal has none).
        fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        process = subprocess.Popen(command, env=env, cwd=workdir, stdout=subprocess.PIPE,
                                   stderr=follower)
        os.close(follower)
        shown = bytearray()
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
        stdout, _ = process.communicate()
        os.close(leader)
        stderr = shown.decode(errors="replace")
    else:
        done = subprocess.run(command, env=env, cwd=workdir, capture_output=True, text=True)
        process, stdout, stderr = done, done.stdout.encode(), done.stderr
    took, cpu = time.perf_counter() - started, _children_cpu() - cpu
    if process.returncode != 0:
        raise SystemExit(f"import failed ({process.returncode}):\n{stderr}")
    return took, cpu, (stderr.replace("\r", "\n").strip().splitlines() or [""])[-1] + " | " + \
        stdout.decode().strip().splitlines()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--tty", action="store_true", help="stderr on a pseudo-terminal")
    args = parser.parse_args()
    results, cpu_results = {}, {}
    for rows in args.rows:
        times, cpus = [], []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as tmp:
                workdir = Path(tmp)
                (workdir / "none.toml").write_text("")
                csv = workdir / "contacts.csv"
                write_csv(csv, rows)
                took, cpu, last = run(csv, workdir, args.tty)
                times.append(took)
                cpus.append(cpu)
        results[rows] = round(statistics.median(times), 2)
        cpu_results[rows] = round(statistics.median(cpus), 2)
        print(f"{rows:>7} rows: {results[rows]:6.2f} s wall, {cpu_results[rows]:6.2f} s CPU "
              f"(median of {args.runs}; {'terminal' if args.tty else 'piped'})   {last}")
    print(json.dumps({"tty": args.tty, "seconds": results, "cpu_seconds": cpu_results}))


if __name__ == "__main__":
    main()
