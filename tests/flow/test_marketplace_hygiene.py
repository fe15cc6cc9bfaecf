"""What Slack's Marketplace review checks: help that lists every command, a Messages tab that
answers, no broadcasts and no posting outside the desk's own places, only scopes in use."""

from __future__ import annotations

import re

from bot.slack import ids
from bot.slack.listeners.outbound import HELP
from bot.slack.listeners.replies import DM_ANSWER
from bot.slack.manifest import MODES, build_manifest
from tests import REPO_ROOT
from tests.harness import DESK_CHANNEL, accept_new_interaction

ROOT = REPO_ROOT
# Web API method (as slack_sdk names it) -> the bot scopes that let it run.
METHOD_SCOPES = {
    "chat_postMessage": {"chat:write"}, "chat_update": {"chat:write"},
    "chat_delete": {"chat:write"}, "chat_postEphemeral": {"chat:write"},
    "conversations_history": {"channels:history", "groups:history", "im:history"},
    "conversations_replies": {"channels:history", "groups:history", "im:history"},
    "conversations_join": {"channels:join"},
    "conversations_info": {"channels:read", "groups:read"},
    "conversations_open": {"mpim:write", "im:write"},
    "users_info": {"users:read"}, "usergroups_users_list": {"usergroups:read"},
    "reactions_add": {"reactions:write"}, "reactions_remove": {"reactions:write"},
    "files_upload_v2": {"files:write"}, "files_delete": {"files:write"},
}
# Needed by something other than a method call.
EVENT_SCOPES = {"message.channels": "channels:history", "message.groups": "groups:history",
                "message.im": "im:history"}


def _called_methods() -> set[str]:
    source = "\n".join(p.read_text() for p in (ROOT / "bot").rglob("*.py"))
    return set(re.findall(r"\.((?:chat|conversations|users|usergroups|reactions|files|views)"
                          r"_[A-Za-z0-9_]+)\b", source))


def _needed_scopes() -> set[str]:
    needed = {scope for method in _called_methods() for scope in METHOD_SCOPES.get(method, ())}
    needed |= {EVENT_SCOPES[e] for e in ids.BOT_EVENTS if e in EVENT_SCOPES}
    if ids.SLASH_COMMANDS or ids.GLOBAL_SHORTCUTS:
        needed.add("commands")
    source = (ROOT / "bot/slack/views/transcript.py").read_text()
    if '"username"' in source:  # customer lines posted under the contact's name
        needed.add("chat:write.customize")
    return needed


def test_every_bot_scope_the_manifest_asks_for_is_used():
    granted = set(build_manifest("oauth")["oauth_config"]["scopes"]["bot"])
    assert granted - _needed_scopes() == set()


def test_every_method_the_code_calls_is_known_to_this_test():
    unknown = {m for m in _called_methods() if m not in METHOD_SCOPES
               and not m.startswith("views_") and m != "chat_getPermalink"}
    assert unknown == set(), "add the method's scope to METHOD_SCOPES"


def test_every_called_method_has_a_granted_scope():
    granted = set(ids.BOT_SCOPES)
    missing = {m for m in _called_methods() if METHOD_SCOPES.get(m)
               and not METHOD_SCOPES[m] & granted}
    assert missing == set()
    assert "im:write" in granted  # conversations.open with one user (bot/worker/posted_once)


def test_help_lists_every_slash_command():
    for command in ids.SLASH_COMMANDS:
        assert f"`{command}" in HELP, command


def test_the_messages_tab_is_open_in_every_manifest_and_a_dm_is_answered(desk):
    for mode in MODES:
        home = build_manifest(mode)["features"]["app_home"]
        assert home["messages_tab_enabled"] and not home["messages_tab_read_only_enabled"]
    assert "message.im" in ids.BOT_EVENTS
    channel = desk.slack.dm_channel("UAGENT1")
    desk.event({"type": "message", "channel": channel, "channel_type": "im",
                "user": "UAGENT1", "text": "hello?", "ts": "1700000000.000100"})
    desk.slack.wait_for(lambda s: any(c.params.get("text") == DM_ANSWER
                                      for c in s.calls_to("chat.postMessage")), 5,
                        "the DM was not answered")


def test_a_busy_conversation_never_broadcasts_or_posts_outside_the_desk(desk):
    card = accept_new_interaction(desk, "+14155550100", "<!channel> <!here> hello @everyone")
    desk.agent_writes_in_thread("UAGENT1", card["ts"], "Hi! How can I help?")
    desk.customer_texts("+14155550100", "<!everyone> my order <@UAGENT2>")
    desk.twilio.wait_for(lambda t: t.sent, 15, "the reply was not sent")
    desk.wait_idle()
    posts = desk.slack.calls_to("chat.postMessage")
    assert len(posts) >= 3  # previews and the card, which carries the customer's first text
    for post in posts + desk.slack.calls_to("chat.update"):  # (the card's redraws carry it too)
        shown = str(post.params)
        for ping in ("<!channel>", "<!here>", "<!everyone>"):
            assert ping not in shown
        channel = str(post.params.get("channel"))
        assert channel == DESK_CHANNEL or channel[:1] in ("D", "U", "G"), channel
        assert not post.params.get("link_names")
