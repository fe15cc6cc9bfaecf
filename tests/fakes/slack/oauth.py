"""The fake Slack's OAuth side: "Add to Slack" codes and oauth.v2.access, token rotation.

A test arranges an install (which workspace, who installs) and gets the code Slack would
put on the redirect; the app exchanges it at oauth.v2.access for a bot token that the fake
then honours for that workspace. Rotating tokens expire; their refresh token buys a new
pair, as Slack's token rotation does.
"""

from __future__ import annotations

import itertools
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fakes.slack import FakeSlack

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "fake-client-secret"
SCOPES = "chat:write,commands"


@dataclass
class _Install:
    team_id: str
    team_name: str
    bot_user_id: str
    installer: str
    expires_in: int


@dataclass(frozen=True)
class Exchange:
    grant_type: str  # authorization_code or refresh_token
    team_id: str
    access_token: str


class SlackOAuth:
    def __init__(self, slack: FakeSlack):
        self._slack = slack
        self._codes: dict[str, _Install] = {}
        self._refresh_tokens: dict[str, _Install] = {}
        self._serial = itertools.count(1)
        self.exchanges: list[Exchange] = []

    def arrange_install(self, team_id: str, *, team_name: str | None = None,
                        installer: str = "UINSTALLER", bot_user_id: str | None = None,
                        expires_in: int = 43200) -> str:
        """The code Slack would hand the app's redirect after `installer` approves."""
        code = f"code-{uuid.uuid4().hex[:12]}"
        self._codes[code] = _Install(team_id, team_name or f"Team {team_id}",
                                     bot_user_id or f"UBOT{team_id}", installer, expires_in)
        return code

    def access(self, params: dict[str, Any]) -> dict[str, Any]:
        if (params.get("client_id"), params.get("client_secret")) != (CLIENT_ID,
                                                                        CLIENT_SECRET):
            return {"ok": False, "error": "invalid_client_id"}
        if params.get("grant_type") == "refresh_token":
            install = self._refresh_tokens.pop(str(params.get("refresh_token")), None)
            if install is None:
                return {"ok": False, "error": "invalid_refresh_token"}
            install.expires_in = 43200
            return self._issue(install, "refresh_token")
        install = self._codes.pop(str(params.get("code")), None)  # a code works once
        if install is None:
            return {"ok": False, "error": "invalid_code"}
        return self._issue(install, "authorization_code")

    def _issue(self, install: _Install, grant_type: str) -> dict[str, Any]:
        serial = next(self._serial)
        token = f"xoxe.xoxb-{install.team_id}-{serial}-{uuid.uuid4().hex[:8]}"
        refresh = f"xoxe-1-{install.team_id}-{serial}-{uuid.uuid4().hex[:8]}"
        self._slack.add_rotating_token(token, install.team_id, install.bot_user_id,
                                       time.time() + install.expires_in)
        self._refresh_tokens[refresh] = install
        self.exchanges.append(Exchange(grant_type, install.team_id, token))
        return {
            "ok": True, "access_token": token, "token_type": "bot", "scope": SCOPES,
            "bot_user_id": install.bot_user_id, "app_id": "A0SMSDESK",
            "team": {"id": install.team_id, "name": install.team_name},
            "enterprise": None, "is_enterprise_install": False,
            "authed_user": {"id": install.installer},
            "refresh_token": refresh, "expires_in": install.expires_in,
        }
