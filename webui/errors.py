"""One error handler: JSON `{"error": ...}` for the API, an HTML page for everything else."""

from __future__ import annotations

from flask import Flask, jsonify, render_template
from werkzeug.exceptions import HTTPException

from webui.access import is_api_request


def _headers(exc: HTTPException) -> dict[str, str]:
    """The exception's own headers (Allow of a 405, WWW-Authenticate) without its content type."""
    return {name: value for name, value in exc.get_headers() if name.lower() != "content-type"}


def handle(exc: HTTPException):
    if is_api_request():
        response = jsonify(error=exc.description or exc.name)
        response.status_code = exc.code or 500
        response.headers.update(_headers(exc))
        if exc.code == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="callbox"'
        return response
    return render_template("error.html", exc=exc), exc.code, _headers(exc)


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle)
