"""What an agent typed reaches the phone as meant: rich_text blocks shaped as Slack sends them
in a message event (Slack's rich text block reference: sections, lists, quotes, preformatted;
text with style, emoji with unicode and skin tone, link, user, usergroup, channel, broadcast)."""

from __future__ import annotations

from bot.slack.rich_text import Names, has_rich_text, mentioned_user_ids, render


def _message(*elements: dict) -> list[dict]:
    """A message's `blocks` as Slack's composer sends them: one rich_text block."""
    return [{"type": "rich_text", "block_id": "Xy1", "elements": list(elements)}]


def _section(*elements: dict) -> dict:
    return {"type": "rich_text_section", "elements": list(elements)}


def _text(text: str, **style: bool) -> dict:
    return {"type": "text", "text": text, **({"style": style} if style else {})}


def test_emoji_reach_the_phone_as_emoji_not_slack_codes():
    # "Yes :)" typed in Slack: text "Yes :slightly_smiling_face:" beside these blocks.
    blocks = _message(_section(
        _text("Yes "), {"type": "emoji", "name": "slightly_smiling_face", "unicode": "1f642"},
        _text(" see you "), {"type": "emoji", "name": "tada", "unicode": "1f389"}))
    assert render(blocks).text == "Yes 🙂 see you 🎉"


def test_an_emoji_with_a_skin_tone_keeps_it():
    with_tone_in_unicode = {"type": "emoji", "name": "wave", "unicode": "1f44b-1f3fd",
                            "skin_tone": 4}
    tone_apart = {"type": "emoji", "name": "+1", "unicode": "1f44d", "skin_tone": 2}
    rendered = render(_message(_section(with_tone_in_unicode, _text(" "), tone_apart)))
    assert rendered.text == "\U0001F44B\U0001F3FD \U0001F44D\U0001F3FB"


def test_a_custom_emoji_is_left_out_and_named_for_the_agent():
    rendered = render(_message(_section(
        _text("Order shipped "), {"type": "emoji", "name": "partyparrot"}, _text(" today"))))
    assert rendered.text == "Order shipped today"
    assert rendered.custom_emoji == ("partyparrot",)


def test_styles_vanish_bold_inside_a_word_included():
    # "to*day*" and "_please_ ~not~ `code`" as the composer sends them.
    blocks = _message(_section(
        _text("Ready to"), _text("day", bold=True), _text(", "), _text("please", italic=True),
        _text(" "), _text("not", strike=True), _text(" "), _text("A-123", code=True)))
    assert render(blocks).text == "Ready today, please not A-123"


def test_a_link_with_its_own_text_goes_as_text_and_address():
    blocks = _message(_section(
        _text("Track it "), {"type": "link", "url": "https://ups.com/t/1Z9", "text": "here"},
        _text(" or at "), {"type": "link", "url": "https://example.com/"},
        _text(", mail "), {"type": "link", "url": "mailto:help@example.com",
                           "text": "help@example.com"}))
    assert render(blocks).text == ("Track it here (https://ups.com/t/1Z9) or at "
                                   "https://example.com/, mail help@example.com")


def test_mentions_are_named_and_broadcasts_left_out():
    names = Names(user={"U0BOB": "Bob Smith"}.get, usergroup=lambda _g: "our billing team",
                  channel=lambda _c: "our team")
    blocks = _message(_section(
        {"type": "broadcast", "range": "here"}, _text(" "), {"type": "user", "user_id": "U0BOB"},
        _text(" and "), {"type": "usergroup", "usergroup_id": "S0BILL"},
        _text(" will call you.")))
    assert render(blocks, names).text == "Bob Smith and our billing team will call you."
    assert mentioned_user_ids(blocks) == ["U0BOB"]


def test_lists_keep_bullets_and_numbers_quotes_and_code_are_plain_lines():
    blocks = _message(
        _section(_text("Bring:")),
        {"type": "rich_text_list", "style": "bullet", "indent": 0, "border": 0, "elements": [
            _section(_text("your ID")), _section(_text("the receipt", bold=True))]},
        {"type": "rich_text_list", "style": "bullet", "indent": 1, "elements": [
            _section(_text("or a photo of it"))]},
        {"type": "rich_text_list", "style": "ordered", "indent": 0, "offset": 0, "elements": [
            _section(_text("Go to the desk")), _section(_text("Ask for Ann"))]},
        {"type": "rich_text_quote", "elements": [_text("Your order is late")]},
        {"type": "rich_text_preformatted", "border": 0, "elements": [_text("REF-42")]})
    assert render(blocks).text == (
        "Bring:\n• your ID\n• the receipt\n  ◦ or a photo of it\n1. Go to the desk\n"
        "2. Ask for Ann\nYour order is late\nREF-42")


def test_the_line_break_slack_ends_a_section_with_before_a_list_is_not_doubled():
    # As a message event carries "Bring:" and a list: the section's text ends with the break.
    blocks = _message(
        _section(_text("Bring:\n")),
        {"type": "rich_text_list", "style": "bullet", "elements": [
            _section(_text("your ID")), _section(_text("the receipt"))]},
        _section(_text("See you")))
    assert render(blocks).text == "Bring:\n• your ID\n• the receipt\nSee you"


def test_an_address_typed_without_its_scheme_goes_as_typed():
    # "example.com" typed: Slack links it to http://example.com with the typed text.
    blocks = _message(_section(
        _text("See "), {"type": "link", "url": "http://example.com", "text": "example.com"},
        _text(" or "), {"type": "link", "url": "https://example.com/faq",
                        "text": "example.com/faq"}))
    assert render(blocks).text == "See example.com or example.com/faq"


def test_the_people_named_are_listed_so_their_names_are_never_flagged():
    names = Names(user={"U0BOB": "Bob Smith", "U0ANN": "Ann Lee"}.get)
    blocks = _message(_section({"type": "user", "user_id": "U0BOB"}, _text(" or "),
                               {"type": "user", "user_id": "U0ANN"}, _text(" or "),
                               {"type": "user", "user_id": "U0BOB"}))
    rendered = render(blocks, names)
    assert rendered.text == "Bob Smith or Ann Lee or Bob Smith"
    assert rendered.names == ("Bob Smith", "Ann Lee")


def test_line_breaks_inside_a_section_are_kept():
    blocks = _message(_section(_text("Hi Jane,\nyour order is ready.\n\nAnn")))
    assert render(blocks).text == "Hi Jane,\nyour order is ready.\n\nAnn"


def test_a_message_without_rich_text_has_none():
    assert not has_rich_text(None) and not has_rich_text([])
    assert not has_rich_text([{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}])
    assert has_rich_text(_message(_section(_text("x"))))
