"""Slack's requests, one module per feature; each module's callbacks are module-level
functions and its `register(app)` wires them to bolt.

A callback declares what bolt injects by name (ack, respond, body, view, command, event,
client, context) and `services: Services`: app.py's first middleware puts the desk's
services in every request's context, and bolt hands a listener any context key its
parameters name (bot/slack/acking.py says when each listener runs).
So a test calls a callback with a fake ack and a Services of its own, and no closure hides
what it uses."""
