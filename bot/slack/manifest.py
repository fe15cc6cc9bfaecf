"""Slack app manifests for HTTP and Socket Mode, built from the identifiers the code answers to.

Everything listed here (commands, shortcuts, events, scopes) comes from `bot.slack.ids`, the
same lists the listeners register against, so an admin who pastes a manifest gets exactly the
app the code serves. The committed files in `manifests/` are `render(build_manifest(mode))`; a test
keeps them in step.
"""

import json
from urllib.parse import urlsplit

from bot.slack.ids import BOT_EVENTS, BOT_SCOPES, GLOBAL_SHORTCUTS, SLASH_COMMANDS

# http: one workspace, its bot token set by hand. oauth: the same over HTTP, installed into
# any number of workspaces by "Add to Slack", with rotating tokens (a rotating token expires
# in 12 hours, so only an app that stores and refreshes tokens itself may turn rotation on).
MODES = ("http", "oauth", "socket")
OAUTH_REDIRECT_PATH = "/slack/oauth_redirect"
DEFAULT_PUBLIC_URL = "https://smsdesk.example.com"
# bolt's default endpoint: events, interactivity and commands all arrive on it.
SLACK_EVENTS_PATH = "/slack/events"

DESCRIPTION = "SMS contact-center desk: customers' texts arrive in Slack, agents reply in threads."
BACKGROUND_COLOR = "#1d4f7c"


def public_url_problem(url: str) -> str | None:
    """Why `url` cannot be the address Slack calls (None: it can). Slack sends requests only
    to https URLs, and the manifest appends paths to it, so a query or fragment would break."""
    parts = urlsplit(url)
    try:
        _port = parts.port  # raises on a port that is not a number
    except ValueError:
        return "its port is not a number"
    if parts.scheme != "https":
        return "Slack calls https addresses only"
    if not parts.hostname or parts.username is not None or any(c.isspace() for c in url):
        return "it has no host name"
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        return "the paths Slack calls are appended to it, so it may not have ? or #"
    return None


def build_manifest(
    mode: str, public_url: str = DEFAULT_PUBLIC_URL, app_name: str = "smsdesk"
) -> dict:
    """Return the app manifest for `mode` (see MODES) as a JSON-ready dict."""
    if mode not in MODES:
        raise ValueError(f"unknown manifest mode {mode!r}; expected one of {', '.join(MODES)}")
    http = mode in ("http", "oauth")
    oauth = mode == "oauth"
    # Pasted URLs often end in "/", which would otherwise give ".../" + "/slack/events".
    request_url = public_url.rstrip("/") + SLACK_EVENTS_PATH

    slash_commands = []
    for command, (description, usage_hint) in SLASH_COMMANDS.items():
        entry: dict = {"command": command}
        if http:
            entry["url"] = request_url
        entry["description"] = description
        # Slack's schema forbids an empty usage_hint (minLength 1): leave the key out instead.
        if usage_hint:
            entry["usage_hint"] = usage_hint
        entry["should_escape"] = False
        slash_commands.append(entry)

    features: dict = {
        "app_home": {
            "home_tab_enabled": True,
            # Previews arrive in the Messages tab, and in queues with threads = "dm" the
            # conversations too: agents reply in those threads. A message written outside a
            # thread gets a short answer saying where to write.
            "messages_tab_enabled": True,
            "messages_tab_read_only_enabled": False,
        },
        "bot_user": {"display_name": "smsdesk", "always_online": True},
    }
    # Slack's schema wants at least one command whenever the key is present.
    if slash_commands:
        features["slash_commands"] = slash_commands
    if GLOBAL_SHORTCUTS:
        features["shortcuts"] = [
            {"name": name, "type": "global", "callback_id": callback_id,
             "description": description}
            for callback_id, (name, description) in GLOBAL_SHORTCUTS.items()]

    event_subscriptions: dict = {}
    interactivity: dict = {"is_enabled": True}
    if http:
        event_subscriptions["request_url"] = request_url
        interactivity["request_url"] = request_url
        # The compose modal's standard-response picker is an external_select: Slack asks for
        # its options (block_suggestion) here. In Socket Mode they come over the socket.
        interactivity["message_menu_options_url"] = request_url
    event_subscriptions["bot_events"] = list(BOT_EVENTS)

    return {
        "display_information": {
            "name": app_name,
            "description": DESCRIPTION,
            "background_color": BACKGROUND_COLOR,
        },
        "features": features,
        "oauth_config": {
            **({"redirect_urls": [public_url.rstrip("/") + OAUTH_REDIRECT_PATH]} if oauth else {}),
            "scopes": {"bot": sorted(BOT_SCOPES)},
        },
        "settings": {
            "event_subscriptions": event_subscriptions,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": not http,
            "token_rotation_enabled": oauth,
        },
    }


def render(manifest: dict) -> str:
    """Serialise a manifest the way the committed files are written (stable, diff-friendly)."""
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
