"""Every error the API answers is JSON: {"error": code, "message": text, ...}; no 5xx for client input.

`ApiError` is raised by the routes; the handlers also turn Werkzeug's HTTP errors (404, 405, 413, ...)
into the same shape, and count each refusal in the metrics by its reason.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, jsonify
from werkzeug.exceptions import HTTPException


class ApiError(Exception):
    def __init__(self, status: int, error: str, message: str, *, count: int = 1, reason: str | None = None,
                 headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(message)
        self.status, self.error, self.message = status, error, message
        self.reason = reason or error  # the metrics label: a contract reason code or the error code
        self.count = count  # events refused by this error (a whole batch counts each of its events)
        self.headers = headers or {}
        self.extra = extra


def unavailable(reason: str, message: str, count: int = 1, **extra: Any) -> ApiError:
    """503 with Retry-After: the broker is unreachable or the producer queue is full."""
    retry_after = str(current_app.config["RETRY_AFTER_S"])
    return ApiError(503, reason, message, count=count, headers={"Retry-After": retry_after}, **extra)


_HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "body_too_large",
               415: "unsupported_media_type"}


def _answer(error: ApiError):
    current_app.extensions["game_api.metrics"].rejected(error.reason, error.count)
    response = jsonify({"error": error.error, "message": error.message, **error.extra})
    response.status_code = error.status
    response.headers.update(error.headers)
    return response


def init_app(app: Flask) -> None:
    app.register_error_handler(ApiError, _answer)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = _HTTP_CODES.get(exc.code or 500, "http_error")
        refused = 0 if exc.code in (404, 405) else 1  # a wrong URL or method carries no event
        # Keep Werkzeug's own headers (Allow on a 405, as RFC 9110 requires); the body is ours.
        headers = {name: value for name, value in exc.get_headers() if name.lower() != "content-type"}
        return _answer(ApiError(exc.code or 500, code, exc.description or exc.name, count=refused, headers=headers))

    @app.errorhandler(Exception)
    def internal_error(exc: Exception):  # a bug of ours, never the client's input: log it, answer JSON
        app.logger.exception("unhandled error")
        return _answer(ApiError(500, "internal_error", "the API failed on this request; it has been logged"))
