"""The shell entry point for every step the Makefile and the DAG run, with the same arguments.

    python -m game_events.cli broker wait [--timeout 60]
    python -m game_events.cli topic ensure [--name events] [--partitions 3] [--replication 1]
    python -m game_events.cli topic watermarks [--name events]
    python -m game_events.cli contract json-schema [--for-client]
    python -m game_events.cli spark-submit spark/job.py [job args...]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys


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

    submit = commands.add_parser("spark-submit", help="run a Spark job with the project's spark-submit arguments")
    submit.add_argument("application")
    submit.add_argument("app_args", nargs=argparse.REMAINDER)
    submit.set_defaults(func=_spark_submit)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
