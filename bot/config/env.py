"""Secrets and endpoints from environment variables (`Env`), and what is missing for a mode."""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass, field

from storage.db import DEFAULT_URL

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_TWILIO_API_URL = "https://api.twilio.com"
DEFAULT_TELNYX_API_URL = "https://api.telnyx.com"
DEFAULT_VONAGE_API_URL = "https://api.nexmo.com"
# Every provider SMS_PROVIDER may name (bot/runtime.py builds each one's sender), with the
# variables it needs (`smsdesk config check` says which are set).
PROVIDER_VARIABLES = {
    "twilio": ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "SMSDESK_PUBLIC_URL"),
    "telnyx": ("TELNYX_API_KEY", "TELNYX_PUBLIC_KEY", "SMSDESK_PUBLIC_URL"),
    "vonage": ("VONAGE_APPLICATION_ID", "VONAGE_PRIVATE_KEY", "VONAGE_API_KEY",
               "VONAGE_API_SECRET", "VONAGE_SIGNATURE_SECRET", "SMSDESK_PUBLIC_URL"),
    "simulator": (),
}
SMS_PROVIDERS = tuple(PROVIDER_VARIABLES)
DEFAULT_SETTINGS_FILE = "smsdesk.toml"
DEFAULT_PORT = 3000


@dataclass(frozen=True)
class Env:
    """Everything read from environment variables (documented in the README)."""

    slack_bot_token: str | None
    slack_signing_secret: str | None
    slack_app_token: str | None
    slack_api_url: str
    database_url: str
    sms_provider: str
    twilio_account_sid: str | None
    twilio_auth_token: str | None
    twilio_api_url: str
    twilio_from_number: str | None
    public_url: str | None
    port: int
    settings_file: str
    # Multi-workspace installs ("Add to Slack"): the app's OAuth credentials, Basic Information.
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    # Fernet key(s) sealing installed workspaces' tokens at rest (comma-separated: the first
    # encrypts, all decrypt). Required with OAuth.
    encryption_key: str | None = None
    # Bearer token for /metrics and the details of /readyz; unset, neither is served.
    ops_token: str | None = None
    # Variables set to something unusable (PORT=abc): each with its fix, told with the rest.
    unusable: tuple[str, ...] = ()
    # SMS_PROVIDER=telnyx: the API key (Bearer), the account's public key (Ed25519, base64)
    # that verifies webhooks, an optional messaging profile, and the API's address.
    telnyx_api_key: str | None = None
    telnyx_public_key: str | None = None
    telnyx_messaging_profile_id: str | None = None
    telnyx_api_url: str = DEFAULT_TELNYX_API_URL
    extra: dict[str, str] = field(default_factory=dict)
    # SMS_PROVIDER=vonage: the Messages API application and the account's secrets.
    vonage: VonageEnv | None = None

    @property
    def oauth(self) -> bool:
        """Installed into workspaces by OAuth (tokens in the database), not one bot token."""
        return bool(self.slack_client_id and self.slack_client_secret
                    and not self.slack_bot_token)

    @classmethod
    def from_environ(cls, environ: dict[str, str] | None = None) -> Env:
        e = os.environ if environ is None else environ
        provider = e.get("SMS_PROVIDER", "simulator").strip().lower()
        return cls(
            slack_bot_token=e.get("SLACK_BOT_TOKEN") or None,
            slack_signing_secret=e.get("SLACK_SIGNING_SECRET") or None,
            slack_app_token=e.get("SLACK_APP_TOKEN") or None,
            slack_api_url=e.get("SLACK_API_URL") or DEFAULT_SLACK_API_URL,
            database_url=e.get("DATABASE_URL") or DEFAULT_URL,
            sms_provider=provider,
            twilio_account_sid=e.get("TWILIO_ACCOUNT_SID") or None,
            twilio_auth_token=e.get("TWILIO_AUTH_TOKEN") or None,
            twilio_api_url=(e.get("TWILIO_API_URL") or DEFAULT_TWILIO_API_URL).rstrip("/"),
            twilio_from_number=e.get("TWILIO_FROM_NUMBER") or None,
            public_url=(e.get("SMSDESK_PUBLIC_URL") or "").rstrip("/") or None,
            port=_port(e.get("PORT")) or DEFAULT_PORT,
            settings_file=e.get("SMSDESK_SETTINGS") or DEFAULT_SETTINGS_FILE,
            slack_client_id=e.get("SLACK_CLIENT_ID") or None,
            slack_client_secret=e.get("SLACK_CLIENT_SECRET") or None,
            encryption_key=e.get("SMSDESK_ENCRYPTION_KEY") or None,
            ops_token=e.get("SMSDESK_OPS_TOKEN") or None,
            unusable=tuple(problem for problem in (_port_problem(e.get("PORT")),) if problem),
            telnyx_api_key=e.get("TELNYX_API_KEY") or None,
            telnyx_public_key=e.get("TELNYX_PUBLIC_KEY") or None,
            telnyx_messaging_profile_id=e.get("TELNYX_MESSAGING_PROFILE_ID") or None,
            telnyx_api_url=(e.get("TELNYX_API_URL") or DEFAULT_TELNYX_API_URL).rstrip("/"),
            vonage=VonageEnv.from_environ(e),
        )

    def problems(self, *, socket_mode: bool) -> list[str]:
        """What is missing for this mode, each with where to find it. Empty means ready."""
        found: list[str] = list(self.unusable)
        if self.oauth and not socket_mode:
            found += _public_url_problems(self.public_url, "\"Add to Slack\" (SLACK_CLIENT_ID)",
                                          "Slack sends each installer back to "
                                          "SMSDESK_PUBLIC_URL/slack/oauth_redirect, the "
                                          "Redirect URL in the app's manifest")
        if self.oauth and socket_mode:
            found.append("Installing into several workspaces (SLACK_CLIENT_ID and "
                         "SLACK_CLIENT_SECRET) needs `smsdesk serve`: Slack redirects the "
                         "installer to this app over HTTPS")
        if self.oauth or self.encryption_key:
            from bot.slack.installations import key_problem

            problem = key_problem(self.encryption_key)
            if problem:
                found.append(problem)
        if bool(self.slack_client_id) != bool(self.slack_client_secret):
            found.append("SLACK_CLIENT_ID and SLACK_CLIENT_SECRET go together: copy both from "
                         "Basic Information > App Credentials")
        if not self.oauth and not self.slack_bot_token:
            found.append(
                "SLACK_BOT_TOKEN is not set: install the app to your workspace and copy the "
                "Bot User OAuth Token (xoxb-...) from OAuth & Permissions at "
                "https://api.slack.com/apps (or, to install into several workspaces, set "
                "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET instead)"
            )
        elif not self.oauth and not (self.slack_bot_token or "").startswith("xoxb-"):
            found.append("SLACK_BOT_TOKEN must be a bot token starting with xoxb-")
        if not self.slack_signing_secret and not socket_mode:
            found.append(
                "SLACK_SIGNING_SECRET is not set: copy the Signing Secret from Basic "
                "Information > App Credentials at https://api.slack.com/apps"
            )
        if socket_mode:
            if not self.slack_app_token:
                found.append(
                    "SLACK_APP_TOKEN is not set (Socket Mode): create an app-level token with "
                    "the connections:write scope under Basic Information > App-Level Tokens"
                )
            elif not self.slack_app_token.startswith("xapp-"):
                found.append("SLACK_APP_TOKEN must be an app-level token starting with xapp-")
        if self.twilio_from_number:
            # Twilio's guides set it; the desk sends from its business numbers instead. Taking
            # it as one would guess at its workspace and queue, so it is refused by name.
            found.append("TWILIO_FROM_NUMBER is not used: list your numbers in "
                         f"desk.business_numbers (or a queue's numbers) in {self.settings_file}"
                         " and unset TWILIO_FROM_NUMBER")
        if self.sms_provider not in SMS_PROVIDERS:
            found.append(f"SMS_PROVIDER={self.sms_provider!r} is unknown: use "
                         + ", ".join(SMS_PROVIDERS[:-1]) + f" or {SMS_PROVIDERS[-1]}")
        if self.sms_provider == "telnyx":
            found += self._telnyx_problems()
        if self.sms_provider == "vonage":
            found += (self.vonage or VonageEnv.from_environ({})).problems(self.public_url)
        if self.sms_provider == "twilio":
            if not self.twilio_account_sid or not self.twilio_auth_token:
                found.append(
                    "SMS_PROVIDER=twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN "
                    "(Twilio Console > Account Info)"
                )
            if not self.public_url:
                found.append(
                    "SMS_PROVIDER=twilio needs SMSDESK_PUBLIC_URL, the https address Twilio "
                    "calls (it signs that exact URL, so it must match what you set in Twilio)"
                )
        return found

    def _telnyx_problems(self) -> list[str]:
        found = []
        if not self.telnyx_api_key:
            found.append("SMS_PROVIDER=telnyx needs TELNYX_API_KEY: Mission Control Portal > "
                         "Account Settings > Keys & Credentials > API Keys > Create API Key")
        if not self.telnyx_public_key:
            found.append("SMS_PROVIDER=telnyx needs TELNYX_PUBLIC_KEY, which verifies Telnyx's "
                         "webhooks: Mission Control Portal > Account Settings > Keys & "
                         "Credentials > Public Key")
        elif not _is_ed25519_key(self.telnyx_public_key):
            found.append("TELNYX_PUBLIC_KEY is not a base64 Ed25519 public key (32 bytes): "
                         "copy it again from Mission Control Portal > Account Settings > Keys "
                         "& Credentials > Public Key")
        if not self.public_url:
            found.append("SMS_PROVIDER=telnyx needs SMSDESK_PUBLIC_URL, the https address "
                         "Telnyx calls: set the messaging profile's webhook URL to "
                         "SMSDESK_PUBLIC_URL/sms/telnyx/webhook")
        return found


def _is_ed25519_key(value: str) -> bool:
    try:
        return len(base64.b64decode(value.strip(), validate=True)) == 32
    except (binascii.Error, ValueError):
        return False


def _port(value: str | None) -> int | None:
    text = (value or "").strip()
    return int(text) if text.isdigit() and 1 <= int(text) <= 65535 else None


def _port_problem(value: str | None) -> str | None:
    if not (value or "").strip() or _port(value) is not None:
        return None
    return (f"PORT={value!r} is not a port number: set PORT to a whole number from 1 to 65535 "
            f"(e.g. {DEFAULT_PORT}), or leave it unset for {DEFAULT_PORT}")


def _public_url_problems(url: str | None, who: str, why: str) -> list[str]:
    if not url:
        return [f"SMSDESK_PUBLIC_URL is not set: {who} needs this server's public https "
                f"address, e.g. https://smsdesk.example.com ({why})"]
    if not url.startswith("https://") or len(url) <= len("https://"):
        return [f"SMSDESK_PUBLIC_URL={url!r} must be an https:// address: {who} needs "
                f"Slack to reach this server over HTTPS ({why})"]
    return []


VONAGE_VARIABLES = PROVIDER_VARIABLES["vonage"][:-1]  # less SMSDESK_PUBLIC_URL


@dataclass(frozen=True)
class VonageEnv:
    """SMS_PROVIDER=vonage's variables (README, "Vonage"). The private key is the PEM text
    itself or the path of the file the dashboard downloaded."""

    application_id: str | None
    private_key: str | None
    api_key: str | None
    api_secret: str | None
    signature_secret: str | None
    api_url: str = DEFAULT_VONAGE_API_URL
    key_problem: str | None = None

    @classmethod
    def from_environ(cls, e) -> VonageEnv:
        key, problem = _pem_or_file(e.get("VONAGE_PRIVATE_KEY") or "")
        return cls(application_id=e.get("VONAGE_APPLICATION_ID") or None,
                   private_key=key, api_key=e.get("VONAGE_API_KEY") or None,
                   api_secret=e.get("VONAGE_API_SECRET") or None,
                   signature_secret=e.get("VONAGE_SIGNATURE_SECRET") or None,
                   api_url=(e.get("VONAGE_API_URL") or DEFAULT_VONAGE_API_URL).rstrip("/"),
                   key_problem=problem)

    @property
    def complete(self) -> bool:
        return all((self.application_id, self.private_key, self.api_key, self.api_secret,
                    self.signature_secret))

    def problems(self, public_url: str | None) -> list[str]:
        values = (self.application_id, self.private_key, self.api_key, self.api_secret,
                  self.signature_secret)
        missing = [name for name, value in zip(VONAGE_VARIABLES, values, strict=True)
                   if not value and not (name == "VONAGE_PRIVATE_KEY" and self.key_problem)]
        found = []
        if missing:
            found.append(
                f"SMS_PROVIDER=vonage needs {', '.join(missing)}: in the Vonage API "
                "Dashboard, Applications > your application (its id, and the private.key "
                "downloaded when its keys were generated, as PEM text or the file's path), "
                "and API Settings (the API key, API secret and signature secret)")
        if self.key_problem:
            found.append(self.key_problem)
        if not public_url:
            found.append("SMS_PROVIDER=vonage needs SMSDESK_PUBLIC_URL: the https address "
                         "Vonage calls (the application's Inbound and Status URLs are "
                         "SMSDESK_PUBLIC_URL/sms/vonage/inbound and /sms/vonage/status)")
        return found


def _pem_or_file(value: str) -> tuple[str | None, str | None]:
    """(the PEM text, None) or (None, what is wrong with the value)."""
    text = value.strip()
    if not text:
        return None, None
    if text.startswith("-----BEGIN"):
        # A PEM put in one line of an .env file, its line breaks written as \n.
        return text.replace("\\n", "\n"), None
    try:
        with open(text, encoding="ascii") as handle:
            pem = handle.read()
    except (OSError, UnicodeDecodeError) as error:
        return None, (f"VONAGE_PRIVATE_KEY names no readable key file ({error.__class__.__name__}"
                      f"): set it to the path of the application's private.key, or to the "
                      "PEM text itself")
    if "PRIVATE KEY-----" not in pem:
        return None, (f"VONAGE_PRIVATE_KEY's file {text} holds no PEM private key: use the "
                      "private.key the dashboard downloaded when the application's keys were "
                      "generated")
    return pem, None
