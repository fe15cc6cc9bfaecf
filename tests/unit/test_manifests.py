"""The committed Slack manifests: valid for Slack, generated from the code, and self-consistent.

Slack's published manifest schema is read in place from `../shared/slack-manifest-schema/`
beside the checkout (present in CI). A fresh clone without it skips only the schema check.
"""

import json
import re
from pathlib import Path

import pytest

from bot.slack.ids import BOT_SCOPES, SLASH_COMMANDS
from bot.slack.manifest import MODES, build_manifest, render
from tests import REPO_ROOT

MANIFEST_DIR = REPO_ROOT / "manifests"
SCHEMA_DIR = REPO_ROOT.parent / "shared" / "slack-manifest-schema"
EVENTS_URL = "https://smsdesk.example.com/slack/events"

# Events that are not `message.*`, with the bot scope Slack lists for each (None: no scope).
# A new event must be added here, which makes whoever adds it look up its scope.
EVENT_SCOPES = {
    "app_home_opened": None,
    "app_mention": "app_mentions:read",
    "app_uninstalled": None,
    "tokens_revoked": None,
    "reaction_added": "reactions:read",
    "reaction_removed": "reactions:read",
}


def committed_manifests() -> list[Path]:
    return sorted(MANIFEST_DIR.glob("*.json"))


@pytest.fixture(scope="module")
def slack_schema_validator():
    if not SCHEMA_DIR.is_dir():
        pytest.skip(
            f"Slack's manifest schema is not at {SCHEMA_DIR} "
            "(expected beside the checkout, as in CI); schema validation skipped"
        )
    from jsonschema import Draft7Validator
    from referencing import Registry, Resource
    from referencing.exceptions import NoSuchResource
    from referencing.jsonschema import DRAFT7

    # The top-level schema dispatches on _metadata.major_version through $refs to
    # raw.githubusercontent.com URLs. Serve those from the local schemas/ folder by file
    # name so the test never touches the network and follows whatever tag the refs name.
    def retrieve(uri: str) -> Resource:
        local = SCHEMA_DIR / "schemas" / uri.rsplit("/", 1)[-1]
        if not uri.startswith("https://raw.githubusercontent.com/slackapi/") or not local.is_file():
            raise NoSuchResource(ref=uri)
        return Resource.from_contents(json.loads(local.read_text()), default_specification=DRAFT7)

    schema = json.loads((SCHEMA_DIR / "manifest.schema.json").read_text())
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema, registry=Registry(retrieve=retrieve))


def schema_errors(validator, manifest: dict) -> list[str]:
    # The top level is a oneOf over schema versions, so a bad key surfaces only as "not valid
    # under any of the given schemas" with the whole manifest printed. The leaf errors inside
    # name the key; several branches point at the same v1 schema, hence the de-duplication.
    # Expect a "'_metadata' is a required property" line too: that is the dispatch talking.
    def leaves(error):
        if not error.context:
            yield error
        for inner in error.context:
            yield from leaves(inner)

    messages = {
        f"{'/'.join(map(str, leaf.absolute_path)) or '<root>'}: {leaf.message}": None
        for error in validator.iter_errors(manifest)
        for leaf in leaves(error)
    }
    return list(messages)


def test_there_is_a_committed_manifest_per_mode():
    assert [path.stem for path in committed_manifests()] == sorted(MODES)


@pytest.mark.parametrize("path", committed_manifests(), ids=lambda path: path.name)
def test_committed_manifest_is_valid_for_slack(slack_schema_validator, path):
    errors = schema_errors(slack_schema_validator, json.loads(path.read_text()))
    assert not errors, f"{path.name} fails Slack's manifest schema:\n" + "\n".join(errors)


@pytest.mark.parametrize("mode", ["http", "oauth"])
def test_a_manifest_for_an_address_with_a_path_is_valid_for_slack(slack_schema_validator, capsys,
                                                                  mode):
    # What `smsdesk manifest http --url ...` prints for a desk served under a path.
    from bot.cli import main

    main(["manifest", mode, "--url", "https://desk.example.org:8443/smsdesk/"])
    manifest = json.loads(capsys.readouterr().out)
    errors = schema_errors(slack_schema_validator, manifest)
    assert not errors, "\n".join(errors)
    assert manifest["settings"]["event_subscriptions"]["request_url"] == (
        "https://desk.example.org:8443/smsdesk/slack/events")


def test_schema_check_rejects_a_misspelt_key(slack_schema_validator):
    # Guards against a validator that passes everything (say, a $ref that resolved to {}).
    manifest = build_manifest("socket")
    manifest["settings"]["socket_mode_enabeld"] = manifest["settings"].pop("socket_mode_enabled")
    errors = schema_errors(slack_schema_validator, manifest)
    assert any("socket_mode_enabeld" in error for error in errors), errors


def _regenerate(mode: str) -> str:
    url = "" if mode == "socket" else " --url https://smsdesk.example.com"
    return f"smsdesk manifest {mode}{url} > manifests/{mode}.json"


@pytest.mark.parametrize("mode", MODES)
def test_committed_manifest_matches_the_code(mode):
    path = MANIFEST_DIR / f"{mode}.json"
    assert path.is_file(), (
        f"manifests/{mode}.json is missing: regenerate with {_regenerate(mode)}"
    )
    assert path.read_text() == render(build_manifest(mode)), (
        f"manifests/{mode}.json differs from build_manifest({mode!r}): "
        f"regenerate with {_regenerate(mode)}, don't edit it by hand"
    )


def test_http_manifest_routes_events_clicks_and_commands_to_the_public_url():
    manifest = build_manifest("http")
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is False
    assert settings["event_subscriptions"]["request_url"] == EVENTS_URL
    assert settings["interactivity"]["request_url"] == EVENTS_URL
    # The compose modal's external_select loads its options from the same endpoint.
    assert settings["interactivity"]["message_menu_options_url"] == EVENTS_URL
    assert [command["url"] for command in manifest["features"]["slash_commands"]] == [
        EVENTS_URL
    ] * len(SLASH_COMMANDS)


def test_socket_manifest_has_no_request_urls():
    manifest = build_manifest("socket")
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is True
    assert "request_url" not in settings["event_subscriptions"]
    assert "request_url" not in settings["interactivity"]
    assert "message_menu_options_url" not in settings["interactivity"]
    assert all("url" not in command for command in manifest["features"]["slash_commands"])


def test_public_url_with_trailing_slash_gives_a_clean_request_url():
    manifest = build_manifest("http", public_url="https://desk.example.org/")
    assert (
        manifest["settings"]["event_subscriptions"]["request_url"]
        == "https://desk.example.org/slack/events"
    )


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="unknown manifest mode"):
        build_manifest("webhook")


def test_background_color_is_a_hex_colour_slack_accepts():
    # Slack's schema states this with a non-standard "regex" keyword that JSON Schema
    # validators ignore, so it is checked here.
    color = build_manifest("socket")["display_information"]["background_color"]
    assert re.fullmatch(r"#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?", color)


@pytest.mark.parametrize("mode", MODES)
def test_every_bot_event_has_the_scope_slack_requires_for_it(mode):
    manifest = build_manifest(mode)
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert scopes <= set(BOT_SCOPES)
    for event in manifest["settings"]["event_subscriptions"]["bot_events"]:
        if event.startswith("message."):
            # message.channels needs channels:history, message.im needs im:history, and so on.
            required = event.removeprefix("message.") + ":history"
        else:
            assert event in EVENT_SCOPES, (
                f"bot event {event!r} is not in EVENT_SCOPES: add it with the scope Slack lists"
            )
            required = EVENT_SCOPES[event]
        if required is not None:
            assert required in scopes, f"bot event {event!r} needs the {required!r} scope"


@pytest.mark.parametrize("mode", MODES)
def test_commands_scope_is_requested_exactly_when_there_are_slash_commands(mode):
    manifest = build_manifest(mode)
    has_commands = bool(manifest["features"].get("slash_commands"))
    assert ("commands" in manifest["oauth_config"]["scopes"]["bot"]) == has_commands


def test_the_oauth_manifest_redirects_to_the_app_and_rotates_tokens_the_others_do_not():
    oauth = build_manifest("oauth", public_url="https://desk.example.org/")
    assert oauth["oauth_config"]["redirect_urls"] == [
        "https://desk.example.org/slack/oauth_redirect"]
    assert oauth["settings"]["token_rotation_enabled"] is True
    # A bot token pasted into SLACK_BOT_TOKEN is never refreshed: it must not expire.
    for mode in ("http", "socket"):
        manifest = build_manifest(mode)
        assert manifest["settings"]["token_rotation_enabled"] is False
        assert "redirect_urls" not in manifest["oauth_config"]
