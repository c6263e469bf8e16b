"""The shell entry point for every step the Makefile and the DAG run, with the same arguments.

    python -m game_events.cli broker wait [--timeout 60]
    python -m game_events.cli topic ensure [--name events] [--partitions 3] [--replication 1]
    python -m game_events.cli topic watermarks [--name events]
    python -m game_events.cli contract json-schema [--for-client]
    python -m game_events.cli spark-submit spark/job.py [job args...]
    python -m game_events.cli spark-class-archive
    python -m game_events.cli daily check-offsets | reconcile --date YYYY-MM-DD
    python -m game_events.cli airflow backfill --start YYYY-MM-DD --end YYYY-MM-DD [--events N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import date


def _broker_wait(args: argparse.Namespace) -> int:
    from game_events.kafka import wait_for_broker

    brokers = wait_for_broker(timeout_s=args.timeout)
    print(f"Kafka is up ({brokers} broker(s))")
    return 0


def _topic_ensure(args: argparse.Namespace) -> int:
    from game_events.kafka import ensure_topic
    from game_events.settings import load_settings

    name = args.name or load_settings().kafka_topic
    created = ensure_topic(name, args.partitions, args.replication)
    print(f"topic {name}: {'created' if created else 'exists'}")
    return 0


def _topic_watermarks(args: argparse.Namespace) -> int:
    from game_events.kafka import topic_watermarks

    for mark in topic_watermarks(args.name):
        print(f"partition {mark.partition}: low={mark.low} high={mark.high}")
    return 0


def _json_schema(args: argparse.Namespace) -> int:
    from game_events.contract import json_schema

    print(json.dumps(json_schema(for_client=args.for_client), indent=2))
    return 0


def _spark_submit(args: argparse.Namespace) -> int:
    from game_events.spark_submit import submit_command

    command = submit_command(args.application, args.app_args)
    return subprocess.call(command)


def _spark_class_archive(args: argparse.Namespace) -> int:
    from game_events.spark_submit import build_class_archive

    try:
        print(build_class_archive())
    except RuntimeError as exc:
        print(f"spark-class-archive: {exc}", file=sys.stderr)
        return 1
    return 0


def _daily_check_offsets(args: argparse.Namespace) -> int:
    from game_events.daily import NothingNew, check_offsets, format_offsets_table

    try:
        print(format_offsets_table(check_offsets()))
    except NothingNew as exc:
        print(exc)
    return 0


def _daily_reconcile(args: argparse.Namespace) -> int:
    from game_events.daily import reconcile_day

    print(json.dumps(reconcile_day(args.date), indent=2))
    return 0


def _airflow_backfill(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from game_events.airflow_api import AirflowClient, follow_backfill, scheduler_latency

    client = AirflowClient.from_env()
    client.wait_for_dag()
    conf = {} if args.events is None else {"events_per_day": args.events}
    backfill = client.create_backfill(args.start, args.end, conf=conf, max_active_runs=args.max_active_runs)
    days = {(args.start + timedelta(days=i)).isoformat() for i in range((args.end - args.start).days + 1)}
    print(f"backfill of {len(days)} day(s), {args.start} .. {args.end}, up to {args.max_active_runs} run(s) at once, "
          "through the Airflow scheduler")
    started = time.monotonic()
    runs = follow_backfill(client, backfill, days, timeout_s=args.timeout)
    latency = scheduler_latency([ti for run in runs for ti in client.task_instances(run["dag_run_id"])])
    print(f"wall {time.monotonic() - started:.0f} s; scheduler latency (queued → running) over {latency['tasks']} "
          f"task(s): " + (f"median {latency['p50_s']:.1f} s, p95 {latency['p95_s']:.1f} s, max {latency['max_s']:.1f} s"
                          if latency["tasks"] else "none ran"))
    failed = sorted(run["data_interval_start"][:10] for run in runs if run["state"] != "success")
    if failed:
        print(f"FAILED: {', '.join(failed)} (see the Airflow UI for the task logs)")
        return 1
    print(f"all {len(runs)} run(s) succeeded")
    return 0


def _date(text: str):
    from datetime import date

    return date.fromisoformat(text)


def _generate(args: argparse.Namespace) -> int:
    from game_events.generator import Outage, generate_day, send_via_http, send_via_kafka, write_truth
    from game_events.generator_send import ApiUnavailable, Progress
    from game_events.kafka import BrokerUnavailable
    from game_events.settings import load_settings

    settings = load_settings()
    try:
        outage = Outage.parse(args.outage) if args.outage else None
        day = generate_day(args.date, args.events, args.seed, duplicates=args.duplicates, late=args.late,
                           malformed=args.malformed, outage=outage)
    except ValueError as exc:
        print(f"generate: {exc}", file=sys.stderr)
        return 2
    truth_path = write_truth(day, args.truth_dir or settings.truth_dir)
    print(f"generated {args.date}: {len(day.events):,} events ({args.events:,} on the day, "
          f"{day.truth['injected']['duplicates']:,} duplicates, {day.truth['injected']['late']:,} late), "
          f"{len(day.malformed):,} malformed{_outage_text(day.truth['injected']['outage'])}; truth in {truth_path}",
          flush=True)
    progress = Progress(f"sending via {args.via}", len(day.events))
    try:
        if args.via == "http":
            delivery = send_via_http(day, args.api_url or settings.game_api_url, settings=settings,
                                     topic=args.topic, progress=progress, ready_timeout_s=args.api_ready_timeout)
        else:
            delivery = send_via_kafka(day, settings, args.topic, progress=progress)
    except (BrokerUnavailable, ApiUnavailable) as exc:
        print(f"generate: FAILED, nothing delivered: {exc}", file=sys.stderr)
        return 1
    print(delivery.summary())
    if not delivery.ok:
        print(f"generate: FAILED: {delivery.failed:,} record(s) were not delivered", file=sys.stderr)
        return 1
    return 0


def _outage_text(outage: dict | None) -> str:
    if not outage:
        return ""
    return (f", outage of {outage['provider']}: {outage['players_offline']:,} players offline, "
            f"{outage['events_lost']:,} events not sent")


def _fraction(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be a fraction between 0 and 1, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="game-events", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    broker = commands.add_parser("broker", help="the Kafka broker").add_subparsers(dest="action", required=True)
    wait = broker.add_parser("wait", help="wait until the broker answers")
    wait.add_argument("--timeout", type=float, default=60.0)
    wait.set_defaults(func=_broker_wait)

    topic = commands.add_parser("topic", help="the events topic").add_subparsers(dest="action", required=True)
    ensure = topic.add_parser("ensure", help="create the topic unless it exists")
    ensure.add_argument("--name")
    ensure.add_argument("--partitions", type=int)
    ensure.add_argument("--replication", type=int)
    ensure.set_defaults(func=_topic_ensure)
    marks = topic.add_parser("watermarks", help="low/high offsets per partition")
    marks.add_argument("--name")
    marks.set_defaults(func=_topic_watermarks)

    contract = commands.add_parser("contract", help="the event contract").add_subparsers(dest="action", required=True)
    schema = contract.add_parser("json-schema", help="print the JSON Schema of an event")
    schema.add_argument("--for-client", action="store_true", help="what a client sends to the API")
    schema.set_defaults(func=_json_schema)

    daily = commands.add_parser("daily", help="steps of the daily DAG").add_subparsers(dest="action", required=True)
    offsets = daily.add_parser("check-offsets", help="what is new on the topic since the last ingest")
    offsets.set_defaults(func=_daily_check_offsets)
    reconcile = daily.add_parser("reconcile", help="check that a day's counts reconcile")
    reconcile.add_argument("--date", type=_date, required=True)
    reconcile.set_defaults(func=_daily_reconcile)

    airflow = commands.add_parser("airflow", help="the running Airflow").add_subparsers(dest="action", required=True)
    backfill = airflow.add_parser("backfill", help="backfill a date range through the scheduler and follow it")
    backfill.add_argument("--start", type=_date, required=True)
    backfill.add_argument("--end", type=_date, required=True)
    backfill.add_argument("--events", type=int, help="events per day (default: the DAG's param)")
    backfill.add_argument("--max-active-runs", type=int, default=1)
    backfill.add_argument("--timeout", type=float, default=3600)
    backfill.set_defaults(func=_airflow_backfill)

    submit = commands.add_parser("spark-submit", help="run a Spark job with the project's spark-submit arguments")
    submit.add_argument("application")
    submit.add_argument("app_args", nargs=argparse.REMAINDER)
    submit.set_defaults(func=_spark_submit)
    commands.add_parser("spark-class-archive", help="train the Spark driver's class-data archive (make setup does)"
                        ).set_defaults(func=_spark_class_archive)

    generate = commands.add_parser(
        "generate", help="generate one UTC day of player events, send them, write the ground truth",
        description="Deterministic: the same --date/--events/--seed give the same events (event_ids too). "
                    "Fault rates are fractions of --events added on top. Exit 1 if anything was not delivered.")
    generate.add_argument("--date", required=True, type=date.fromisoformat, help="the UTC day, YYYY-MM-DD")
    generate.add_argument("--events", required=True, type=int, help="distinct events on the day")
    generate.add_argument("--seed", type=int, default=0)
    generate.add_argument("--via", choices=("kafka", "http"), default="kafka",
                          help="produce straight to Kafka (default) or POST to the game API's batch route")
    generate.add_argument("--api-url", help="the game API for --via http (default: GAME_API_URL)")
    generate.add_argument("--api-ready-timeout", type=float, default=30.0,
                          help="seconds to wait for the API's /readyz before giving up (--via http)")
    generate.add_argument("--duplicates", type=_fraction, default=0.0, help="exact re-sends, fraction of --events")
    generate.add_argument("--late", type=_fraction, default=0.0, help="events of the day before, fraction")
    generate.add_argument("--malformed", type=_fraction, default=0.0, help="broken records (to Kafka), fraction")
    generate.add_argument("--outage", metavar="PROVIDER[:SHARE]",
                          help="take SHARE (default 0.5) of one provider's players offline for the day, "
                               "e.g. comcast.com: a deviation the report must flag (recorded in the truth)")
    generate.add_argument("--truth-dir", help="where D.json goes (default: <data dir>/truth)")
    generate.add_argument("--topic", help="the topic (default: KAFKA_TOPIC)")
    generate.set_defaults(func=_generate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
