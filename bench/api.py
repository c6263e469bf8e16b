"""API ingest: events/s and latency of POST /v1/events and /v1/events/batch, against the no-op sink.

Two gunicorn instances of the same app with config/gunicorn.conf.py: one producing into our broker with
the production producer settings (each 202 waits for the broker's acknowledgement), one with the null
sink (GAME_API_SINK=null: the web server's own ceiling). Debian's `wrk` loads them from its own process
over keep-alive connections; repeats alternate baseline and subject so each pair sees the same load.
The single-event route is also swept over concurrency (`sweep`, e.g. 8, 64 and 256 connections), so the
point where the route stops being latency-bound shows next to the baseline at each level.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import uuid
from datetime import date
from pathlib import Path

import orjson
import requests

from bench.services import BenchEnv, GameApi, log
from game_events.generator import generate_day
from game_events.generator_send import API_OWNED_FIELDS
from game_events.kafka import ensure_topic
from game_events.settings import load_settings

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
_LUA = """-- POST the same body again and again (the body is read from a file: it may hold any bytes)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = assert(io.open("{body}", "rb"))
wrk.body = f:read("*a")
f:close()
"""


def parse_wrk(output: str) -> dict:
    """Requests/s, latency percentiles (ms) and error counts from `wrk --latency` output."""
    def latency(label: str) -> float:
        match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
        if not match:
            raise ValueError(f"no {label}% latency in wrk output:\n{output}")
        return float(match.group(1)) * _UNITS_MS[match.group(2)]

    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if not rate:
        raise ValueError(f"no Requests/sec in wrk output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return {"requests_per_s": float(rate.group(1)), "p50_ms": latency("50"), "p90_ms": latency("90"),
            "p99_ms": latency("99"), "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
            "socket_errors": sum(map(int, socket.groups())) if socket else 0}


def _bodies(work: Path, batch_size: int) -> dict[str, Path]:
    """A valid single event and a batch of batch_size events, as a client sends them (no API-owned fields)."""
    events = generate_day(date(2026, 11, 27), batch_size, seed=7).events
    client_events = [{k: v for k, v in e.items() if k not in API_OWNED_FIELDS} for e in events]
    paths = {"single": work / "single.json", "batch": work / "batch.json"}
    paths["single"].write_bytes(orjson.dumps(client_events[0]))
    paths["batch"].write_bytes(orjson.dumps(client_events))
    return paths


def _check_accepted(url: str, body: Path) -> None:
    """Load a body only after it is known to be accepted: a benchmark of fast 422s would prove nothing."""
    response = requests.post(url, data=body.read_bytes(), headers={"Content-Type": "application/json"}, timeout=30)
    if response.status_code != 202:
        raise RuntimeError(f"{url} answered {response.status_code} to the benchmark body: {response.text[:300]}")


def run_wrk(url: str, body: Path, seconds: int, connections: int, threads: int = 2) -> dict:
    script = body.with_suffix(".lua")
    script.write_text(_LUA.format(body=body))
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s",
               "-s", str(script), url]
    output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    return parse_wrk(output)


def run(bench: BenchEnv, repeats: int, seconds: int, connections: dict[str, int], batch_size: int,
        sweep: tuple[int, ...] = ()) -> tuple[list, dict]:
    """Figures (single-event rate and latency at each concurrency, batch rate) with the no-op baseline,
    and the raw wrk samples. connections["single"] is the concurrency the targets are judged at."""
    topic = f"bench-api-{uuid.uuid4().hex[:8]}"
    ensure_topic(topic, settings=load_settings())  # the caller put our broker into the environment
    loads = [("single", "/v1/events", n) for n in sorted({connections["single"], *sweep})]
    loads.append(("batch", "/v1/events/batch", connections["batch"]))
    raw: dict[str, list] = {}
    with tempfile.TemporaryDirectory(prefix="bench-api-") as work, \
            GameApi(bench, "kafka", bench.api_port, "kafka", topic) as kafka_api, \
            GameApi(bench, "null", bench.api_port + 1, "null", topic) as null_api:
        bodies = _bodies(Path(work), batch_size)
        for kind, path in (("single", "/v1/events"), ("batch", "/v1/events/batch")):
            for api in (kafka_api, null_api):
                _check_accepted(api.url + path, bodies[kind])
        for kind, path, clients in loads:
            for repeat in range(repeats):
                for sink, api in (("null", null_api), ("kafka", kafka_api)):
                    sample = run_wrk(api.url + path, bodies[kind], seconds, clients)
                    sample["events_per_s"] = sample["requests_per_s"] * (batch_size if kind == "batch" else 1)
                    raw.setdefault(sample_key(sink, kind, clients, connections), []).append(sample)
                    log(f"api {kind} c={clients} {sink} #{repeat + 1}: {sample['events_per_s']:,.0f} ev/s, "
                        f"p50 {sample['p50_ms']:.1f} ms, p99 {sample['p99_ms']:.1f} ms, non-2xx {sample['non_2xx']}")
    sweep_levels = sorted(set(sweep) - {connections["single"]})
    return _figures(raw, batch_size, connections, sweep_levels), {
        "samples": raw, "seconds": seconds, "connections": connections, "sweep": sorted(sweep),
        "batch_size": batch_size, "wrk_threads": 2, "topic": topic}


def sample_key(sink: str, kind: str, clients: int, connections: dict[str, int]) -> str:
    """kafka_single, null_batch, ...; a sweep level other than the judged one gets its own: kafka_single_c8."""
    return f"{sink}_{kind}" if clients == connections[kind] else f"{sink}_{kind}_c{clients}"


def _figures(raw: dict[str, list], batch_size: int, connections: dict[str, int], sweep_levels: list[int]) -> list[dict]:
    def series(key: str, field: str) -> list[float]:
        return [sample[field] for sample in raw[key]]

    single = connections["single"]
    figures = [
        {"id": "api_single_rate", "stage": "API ingest", "what": f"POST /v1/events ({single} connections), events/s",
         "unit": "ev/s", "samples": series("kafka_single", "events_per_s"),
         "baseline": {"what": "no-op sink", "samples": series("null_single", "events_per_s")},
         "targets": [{"op": ">=", "value": 4000, "on": "value"}, {"op": ">=", "value": 0.9, "on": "ratio"}]},
        {"id": "api_single_p99", "stage": "API ingest", "what": "POST /v1/events, p99 latency", "unit": "ms",
         "samples": series("kafka_single", "p99_ms"),
         "baseline": {"what": "no-op sink", "samples": series("null_single", "p99_ms")},
         "targets": [{"op": "<=", "value": 25, "on": "value"}]},
        {"id": "api_single_p50", "stage": "API ingest", "what": "POST /v1/events, p50 latency", "unit": "ms",
         "samples": series("kafka_single", "p50_ms"),
         "baseline": {"what": "no-op sink", "samples": series("null_single", "p50_ms")}, "targets": []},
    ]
    for clients in sweep_levels:  # the sweep: no targets, the knee is read off the ratios
        key = f"single_c{clients}"
        figures += [
            {"id": f"api_{key}_rate", "stage": "API ingest", "what": f"POST /v1/events ({clients} connections), events/s",
             "unit": "ev/s", "samples": series(f"kafka_{key}", "events_per_s"),
             "baseline": {"what": "no-op sink", "samples": series(f"null_{key}", "events_per_s")}, "targets": []},
            {"id": f"api_{key}_p99", "stage": "API ingest", "what": f"POST /v1/events ({clients} connections), p99 latency",
             "unit": "ms", "samples": series(f"kafka_{key}", "p99_ms"),
             "baseline": {"what": "no-op sink", "samples": series(f"null_{key}", "p99_ms")}, "targets": []},
        ]
    return figures + [
        {"id": "api_batch_rate", "stage": "API ingest", "what": f"POST /v1/events/batch ({batch_size}/request), events/s",
         "unit": "ev/s", "samples": series("kafka_batch", "events_per_s"),
         "baseline": {"what": "no-op sink", "samples": series("null_batch", "events_per_s")},
         "targets": [{"op": ">=", "value": 50_000, "on": "value"}, {"op": ">=", "value": 0.9, "on": "ratio"}]},
        {"id": "api_batch_p99", "stage": "API ingest", "what": "POST /v1/events/batch, p99 latency", "unit": "ms",
         "samples": series("kafka_batch", "p99_ms"),
         "baseline": {"what": "no-op sink", "samples": series("null_batch", "p99_ms")}, "targets": []},
    ]
