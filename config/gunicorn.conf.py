"""gunicorn settings of the game API (the long-running stack; `scripts/game_api.sh up` uses them).

Threaded workers (gthread): a request thread blocks until the broker acknowledged its event, so each worker
runs many threads; one worker per core, because the GIL lets one process use one core.
`GAME_API_WORKER_CLASS=gevent` serves the same app from gevent workers instead, where the delivery wait is
cooperative (services/game_api/sinks.py polls the producer on the event loop). gthread stays the default:
in same-run comparisons on our shared, loaded machine it answered the Kafka route faster (BENCHMARKS.md).
Every setting can be changed from the environment:

    GAME_API_HOST (127.0.0.1)  GAME_API_PORT (5000)  GAME_API_WORKERS (2)  GAME_API_WORKER_CLASS (gthread)
    GAME_API_THREADS (32, gthread)  GAME_API_WORKER_CONNECTIONS (1000, gevent)
    GAME_API_ACCESS_LOG (off; a path or - for stdout)  GAME_API_METRICS_DIR (shared metrics folder)
    GAME_API_CONTROL_SOCKET (off; scripts/game_api.sh puts it in its state folder, for gunicornc)
"""

import os
import shutil

bind = f"{os.environ.get('GAME_API_HOST', '127.0.0.1')}:{os.environ.get('GAME_API_PORT', '5000')}"
workers = int(os.environ.get("GAME_API_WORKERS", "2"))
worker_class = os.environ.get("GAME_API_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GAME_API_THREADS", "32"))  # gthread only
worker_connections = int(os.environ.get("GAME_API_WORKER_CONNECTIONS", "1000"))  # gevent only
keepalive = 30  # the generator and load tools keep connections open between requests
backlog = 2048
timeout = 30
graceful_timeout = 20  # time for a worker to flush its producer on shutdown
accesslog = os.environ.get("GAME_API_ACCESS_LOG") or None
proc_name = "game-api"
# Never preload: each worker must create its own Kafka producer after the fork.
preload_app = False
# gunicorn's control socket defaults to one path per user ($HOME/.gunicorn/gunicorn.ctl), which several
# instances (tests, a second stack) would fight over: keep it beside the instance's pid file, or off.
control_socket = os.environ.get("GAME_API_CONTROL_SOCKET") or None
control_socket_disable = control_socket is None


def on_starting(server):
    # Workers share metrics through files; figures of a previous run must not be added to this one.
    metrics_dir = os.environ.get("GAME_API_METRICS_DIR")
    if metrics_dir:
        shutil.rmtree(metrics_dir, ignore_errors=True)
        os.makedirs(metrics_dir, exist_ok=True)


def worker_exit(server, worker):
    from services.game_api.sinks import close_all

    close_all(timeout_s=15.0)  # flush the producer: every acknowledged 202 is already in, the rest drains
