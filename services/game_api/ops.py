"""Operational routes: liveness, readiness, Prometheus metrics and the OpenAPI document.

    GET /healthz       200 while the process serves requests
    GET /readyz        200 when the broker answers a metadata request for the topic, else 503
    GET /metrics       Prometheus text (accepted / rejected by reason, deliveries, latency)
    GET /openapi.json  OpenAPI 3.1, built from the event contract
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app

from .intake import json_response
from .openapi import openapi_document

ops = Blueprint("ops", __name__)


@ops.get("/healthz")
def healthz():
    return json_response({"status": "alive"})


@ops.get("/readyz")
def readyz():
    sink = current_app.extensions["game_api.sink"]
    if sink.ready(timeout_s=2.0):
        return json_response({"status": "ready", "topic": sink.topic, "producer": sink.delivery_settings})
    response = json_response({"status": "not_ready", "error": "broker_unavailable",
                              "message": f"the broker does not answer for topic {sink.topic}"}, 503)
    response.headers["Retry-After"] = str(current_app.config["RETRY_AFTER_S"])
    return response


@ops.get("/metrics")
def metrics():
    text = current_app.extensions["game_api.metrics"].render()
    return Response(text, mimetype="text/plain", content_type="text/plain; version=0.0.4; charset=utf-8")


@ops.get("/openapi.json")
def openapi():
    return json_response(openapi_document(current_app.config))
