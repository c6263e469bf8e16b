"""The game API: a Flask app that validates players' events against the contract, enriches them with
request metadata and produces them to Kafka, answering 2xx only after the broker acknowledged.

    create_app(config=None)   the app factory (config overrides `config.default_config()`)
    services.game_api.wsgi:app   what gunicorn serves (`scripts/game_api.sh up`, config/gunicorn.conf.py)

Debug server (never in the long-running stack):  .venv/bin/flask --app services.game_api run --port 5000
Modules: routes (v1), seed_routes (the seed's GETs), ops (health, readiness, metrics, OpenAPI),
intake (read -> check -> produce), enrich (pure enrichment), sinks (Kafka producer), metrics, errors.
"""

from __future__ import annotations

import atexit
import time
from typing import Any

from flask import Flask, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from . import errors
from .config import default_config
from .metrics import Metrics
from .ops import ops
from .routes import v1
from .seed_routes import seed
from .sinks import SINKS


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(default_config())
    app.config.update(config or {})
    if app.config["SINK"] not in SINKS:
        raise ValueError(f"SINK must be one of {', '.join(SINKS)}, got {app.config['SINK']!r}")

    metrics = Metrics(app.config["METRICS_DIR"])
    sink = SINKS[app.config["SINK"]](app.config, metrics.delivery)
    app.extensions["game_api.metrics"] = metrics
    app.extensions["game_api.sink"] = sink
    atexit.register(sink.close)  # flush what is queued when the process ends
    if app.config["PROXY_HOPS"] > 0:
        # Only the client address is taken from the proxy; Host stays the player's own header.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_HOPS"], x_proto=0, x_host=0)

    errors.init_app(app)
    for blueprint in (v1, seed, ops):
        app.register_blueprint(blueprint)

    @app.before_request
    def start_clock() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def observe(response):
        started = g.get("started")
        if started is not None:
            metrics.observe(request.endpoint or "unmatched", response.status_code, time.perf_counter() - started)
        return response

    return app
