"""/healthz, /readyz and /metrics: what a load balancer and a monitoring system ask.

A load balancer asks without credentials, so /healthz and /readyz answer anyone, but /readyz
only "ready" or "not ready". Why not (the team and bot, a driver's error with host, port and
user, the database address) and /metrics are for the bearer of SMSDESK_OPS_TOKEN.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, current_app, jsonify, request

from bot import health
from bot import metrics as metrics_module

blueprint = Blueprint("ops", __name__)
OPS_TOKEN_VARIABLE = "SMSDESK_OPS_TOKEN"


def _from_the_operator() -> bool:
    """Does the request carry `Authorization: Bearer <SMSDESK_OPS_TOKEN>`? (Never, unset.)"""
    expected = current_app.config["SMSDESK"].ops_token
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return (expected is not None and scheme.lower() == "bearer"
            and hmac.compare_digest(given.strip().encode(), expected.encode()))


@blueprint.get("/healthz")
def healthz() -> Response:
    return jsonify(ok=True)  # the process is up; whether it can work is /readyz


@blueprint.get("/readyz")
def readyz() -> Response:
    ready, detail = health.report(current_app.config["SMSDESK"].readiness.checks())
    return jsonify(detail if _from_the_operator() else {"ready": ready}), 200 if ready else 503


@blueprint.get("/metrics")
def metrics() -> Response:
    if current_app.config["SMSDESK"].ops_token is None:
        return Response(f"metrics are off: set {OPS_TOKEN_VARIABLE} and scrape with it as a "
                        "bearer token\n", status=404, mimetype="text/plain")
    if not _from_the_operator():
        return Response(f"send Authorization: Bearer <{OPS_TOKEN_VARIABLE}>\n", status=401,
                        mimetype="text/plain", headers={"WWW-Authenticate": "Bearer"})
    return Response(current_app.config["SMSDESK"].services.metrics.exposition(), mimetype=None,
                    content_type=metrics_module.CONTENT_TYPE)
