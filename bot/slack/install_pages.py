"""What the installer sees after "Add to Slack": where the desk stands and the next step.

bolt's default pages say only "Thank you!"; an admin who installed smsdesk needs to know
whether this workspace's desk is ready, and if not, exactly what to add to the settings.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.response import BoltResponse

from bot.config import Settings

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>smsdesk: {title}</title><style>body{{font:16px system-ui;max-width:40em;margin:3em auto}}
pre{{background:#f4f4f4;padding:1em}}</style></head><body><h1>{title}</h1>{body}</body></html>"""


def _page(status: int, title: str, body: str) -> BoltResponse:
    return BoltResponse(status=status, body=PAGE.format(title=escape(title), body=body),
                        headers={"Content-Type": "text/html; charset=utf-8"})


def settings_snippet(team_id: str) -> str:
    return (f"[workspaces.{team_id}.desk]\nchannel = \"C0123456789\"   # the desk channel's "
            "id\nbusiness_numbers = [\"+15005550006\"]   # this workspace's numbers")


def not_serving_text(team_id: str) -> str:
    """What someone in an installed workspace the settings don't name is told, in Slack."""
    return ("smsdesk is installed in this workspace, but no desk is set up for it yet, so it "
            "does nothing here. An admin of the desk adds this to its settings file "
            f"(smsdesk.toml) and restarts it:\n```{settings_snippet(team_id)}```")


def success_page(settings: Settings, team_id: str, team_name: str) -> BoltResponse:
    workspace = next((w.settings for w in settings.workspaces if w.team_id == team_id), None)
    name = escape(team_name or team_id)
    if workspace is not None and workspace.desk_channel:
        numbers = ", ".join(workspace.sending_numbers())
        return _page(200, "smsdesk is installed", (
            f"<p>smsdesk is installed in <b>{name}</b>. Texts to {escape(numbers)} reach the "
            f"desk channel <code>{escape(workspace.desk_channel)}</code>: invite "
            "<b>@smsdesk</b> there, then agents type <code>/sms-ready</code>.</p>"))
    snippet = settings_snippet(team_id)
    return _page(200, "smsdesk is installed: one step left", (
        f"<p>smsdesk is installed in <b>{name}</b>, but no desk is set up for it yet, so no "
        "text reaches it. Add this to the settings file (smsdesk.toml), with your desk "
        "channel and business numbers, and restart smsdesk:</p>"
        f"<pre>{escape(snippet)}</pre>"))


def callback_options(settings: Callable[[], Settings]) -> CallbackOptions:
    def success(args: SuccessArgs) -> BoltResponse:
        installation = args.installation
        return success_page(settings(), installation.team_id or "",
                            installation.team_name or "")

    def failure(args: FailureArgs) -> BoltResponse:
        # bolt's reasons are short codes (invalid_state, access_denied, …), never secrets.
        return _page(args.suggested_status_code, "smsdesk was not installed", (
            f"<p>The installation did not finish ({escape(args.reason)}). "
            "<a href=\"/slack/install\">Start again</a>; if it keeps failing, check that the "
            "app's Redirect URL is this server's /slack/oauth_redirect.</p>"))

    return CallbackOptions(success=success, failure=failure)
