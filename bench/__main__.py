"""`python -m bench run|render`: run the stages, write bench/results/<name>.json, render BENCHMARKS.md.

    .venv/bin/python -m bench run --mode quick                  # make bench-quick (< 5 minutes)
    .venv/bin/python -m bench run --mode full                   # make bench (1M-event day), renders BENCHMARKS.md
    .venv/bin/python -m bench run --mode full --fw-events 10000000 --only filtered_writes
    .venv/bin/python -m bench render bench/results/full.json    # regenerate BENCHMARKS.md's table

Ports and state: BENCH_STATE_DIR, BENCH_KAFKA_PORT, BENCH_API_PORT, BENCH_AIRFLOW_PORT (bench/services.py).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from bench import api, dag, filtered_writes, generator
from bench.machine import machine_facts, versions
from bench.report import render_section, render_table, replace_generated
from bench.services import BenchEnv, Broker, log
from game_events.settings import PROJECT_ROOT

RESULTS_DIR = PROJECT_ROOT / "bench" / "results"
DOCUMENT = PROJECT_ROOT / "BENCHMARKS.md"
STAGES = ("api", "generator", "filtered_writes", "dag")
SIZES = {
    "quick": {"api_repeats": 2, "api_seconds": 5, "generator_events": 100_000, "generator_repeats": 2,
              "fw_events": 100_000, "fw_repeats": 1, "dag_events": 50_000, "dag_repeats": 1},
    "full": {"api_repeats": 3, "api_seconds": 15, "generator_events": 1_000_000, "generator_repeats": 3,
             "fw_events": 1_000_000, "fw_repeats": 3, "dag_events": 1_000_000, "dag_repeats": 3},
}
API_CONNECTIONS = {"single": 64, "batch": 8}  # 64 = gunicorn's 2 workers x 32 threads; batches are big
API_SWEEP = (8, 64, 256)  # the single-event route at these concurrencies too: where the knee is
API_BATCH_SIZE = 500  # what the generator's --via http sends per request


def _run_stage(stage: str, bench: BenchEnv, sizes: dict) -> tuple[list, dict]:
    if stage == "api":
        return api.run(bench, sizes["api_repeats"], sizes["api_seconds"], API_CONNECTIONS, API_BATCH_SIZE, API_SWEEP)
    if stage == "generator":
        return generator.run(sizes["generator_events"], sizes["generator_repeats"])
    if stage == "filtered_writes":
        return filtered_writes.run(bench, sizes["fw_events"], sizes["fw_repeats"])
    return dag.run(bench, sizes["dag_events"], sizes["dag_repeats"])


def run(args: argparse.Namespace) -> int:
    bench = BenchEnv.from_env()
    os.environ.update(bench.base_env())  # in-process code (load_settings) talks to our broker too
    sizes = {**SIZES[args.mode], **({"fw_events": args.fw_events} if args.fw_events else {})}
    name = args.name or args.mode
    results = {"name": name, "mode": args.mode, "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "machine": machine_facts(), "versions": versions(),
               "settings": {"sizes": sizes, "api_connections": API_CONNECTIONS,
                            "api_sweep": API_SWEEP, "api_batch_size": API_BATCH_SIZE,
                            "ports": {"kafka": bench.kafka_port, "api": bench.api_port, "airflow": bench.airflow_port},
                            "state_dir": str(bench.state_dir)},
               "figures": [], "raw": {}, "errors": {}}
    started = time.monotonic()
    with Broker(bench):
        for stage in args.only or STAGES:
            log(f"--- {stage} ---")
            stage_started = time.monotonic()
            try:
                figures, raw = _run_stage(stage, bench, sizes)
            except Exception as exc:  # one broken stage must not lose the others' figures
                log(f"{stage} FAILED: {exc}")
                results["errors"][stage] = f"{type(exc).__name__}: {exc}"
                continue
            results["figures"] += figures
            results["raw"][stage] = {**raw, "stage_s": time.monotonic() - stage_started}
    results["duration_s"] = time.monotonic() - started
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(results, indent=1) + "\n")
    print(render_table(results))
    print(f"\nresults: {path} ({results['duration_s']:.0f} s)")
    if args.render:
        _render(path)
    if results["errors"]:
        print(f"FAILED stages: {', '.join(results['errors'])}", file=sys.stderr)
        return 1
    return 0


def _render(path: Path) -> None:
    results = json.loads(path.read_text())
    DOCUMENT.write_text(replace_generated(DOCUMENT.read_text(), render_section(results)))
    print(f"{DOCUMENT.name}: table regenerated from {path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="run the benchmarks")
    run_parser.add_argument("--mode", choices=sorted(SIZES), default="quick")
    run_parser.add_argument("--name", help="results file name (default: the mode)")
    run_parser.add_argument("--only", nargs="+", choices=STAGES, help="run only these stages")
    run_parser.add_argument("--fw-events", type=int, help="events of the filtered_writes day (e.g. 10000000)")
    run_parser.add_argument("--render", action="store_true", help="then regenerate BENCHMARKS.md's table")
    render_parser = commands.add_parser("render", help="regenerate BENCHMARKS.md's table from a results file")
    render_parser.add_argument("results", type=Path)
    args = parser.parse_args(argv)
    if args.command == "render":
        _render(args.results)
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
