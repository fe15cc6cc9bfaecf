"""Slack app manifests for HTTP and Socket Mode, built from the identifiers the code answers to.

Everything listed here (commands, shortcuts, events, scopes) comes from `bot.slack.ids`, the
same lists the listeners register against, so an admin who pastes a manifest gets exactly the
app the code serves. The committed files in `manifests/` are `render(build_manifest(mode))`; a test
keeps them in step.
"""

import json

from bot.slack.ids import BOT_EVENTS, BOT_SCOPES, GLOBAL_SHORTCUTS, SLASH_COMMANDS

MODES = ("http", "socket")
DEFAULT_PUBLIC_URL = "https://smsdesk.example.com"
# bolt's default endpoint: events, interactivity and commands all arrive on it.
SLACK_EVENTS_PATH = "/slack/events"

DESCRIPTION = "SMS contact-center desk: customers' texts arrive in Slack, agents reply in threads."
BACKGROUND_COLOR = "#1d4f7c"


def build_manifest(
    mode: str, public_url: str = DEFAULT_PUBLIC_URL, app_name: str = "smsdesk"
) -> dict:
    """Return the app manifest for `mode` ("http" or "socket") as a JSON-ready dict."""
    if mode not in MODES:
        raise ValueError(f"unknown manifest mode {mode!r}; expected one of {', '.join(MODES)}")
    http = mode == "http"
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
        "oauth_config": {"scopes": {"bot": sorted(BOT_SCOPES)}},
        "settings": {
            "event_subscriptions": event_subscriptions,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": not http,
            "token_rotation_enabled": False,
        },
    }


def render(manifest: dict) -> str:
    """Serialise a manifest the way the committed files are written (stable, diff-friendly)."""
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
