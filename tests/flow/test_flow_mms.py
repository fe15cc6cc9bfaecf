"""MMS end to end: pictures fetched from the provider, checked, shown as thumbnails."""

from __future__ import annotations

import io
import random
from urllib.parse import urlparse

import pytest
from PIL import Image
from sqlalchemy import select

from bot.config import Settings
from bot.slack import ids
from storage.models import Media
from tests.fakes.media_host import FakeMediaHost
from tests.harness import (
    BUSINESS_NUMBER,
    DESK_CHANNEL,
    action_value,
    card_texts,
    line_text,
    start_desk,
)

CUSTOMER = "+14155550100"
SUPERVISOR = "USUPER"


def _jpeg(size=(640, 480), exif: Image.Exif | None = None) -> bytes:
    image = Image.new("RGB", size, (30, 120, 200))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, **({"exif": exif} if exif is not None else {}))
    return out.getvalue()


def _camera_photo() -> bytes:
    """A 12-megapixel JPEG, as a phone camera sends (noise keeps it from compressing away)."""
    rng = random.Random(7)
    small = Image.frombytes("RGB", (400, 300), bytes(rng.getrandbits(8) for _ in range(360000)))
    out = io.BytesIO()
    small.resize((4000, 3000), Image.Resampling.BILINEAR).save(out, "JPEG", quality=90)
    return out.getvalue()


def _bomb() -> bytes:
    from tests.unit.test_images import gif_claiming

    return gif_claiming(30000, 30000)  # under 100 bytes, 900 megapixels once decoded


def _mms_desk(tmp_path, provider: str):
    settings = Settings(desk_channel=DESK_CHANNEL, offer_timeout_seconds=30,
                        supervisors=(SUPERVISOR,))
    desk = start_desk(f"sqlite:///{tmp_path / 'desk.sqlite3'}", settings=settings,
                      agents=("UAGENT1", "UAGENT2", SUPERVISOR), sms_provider=provider)
    yield desk
    desk.close()


@pytest.fixture
def mms_desk(tmp_path, provider):
    yield from _mms_desk(tmp_path, provider)


@pytest.fixture
def twilio_mms_desk(tmp_path):
    yield from _mms_desk(tmp_path, "twilio")


def _send_mms(desk, body: str, *files: tuple[bytes, str]):
    response = desk.customer_sends_mms(CUSTOMER, body, list(files))
    assert response.status_code == 200


def _accept(desk, media: str = "MMS") -> dict:
    desk.slash("UAGENT1", ids.COMMAND_READY)
    preview = desk.wait_for_preview("UAGENT1")
    assert f"New {media}" in preview["text"] and "(Page mode)" in preview["text"]
    desk.click("UAGENT1", ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
    return desk.slack.wait_for(lambda s: desk.cards() and desk.cards()[0], 5, "no card")


def _thread(desk, card) -> list[dict]:
    return desk.slack.thread(DESK_CHANNEL, card["ts"])


def _thumbnails(desk) -> list[Image.Image]:
    return [Image.open(io.BytesIO(f["content"])) for f in desk.slack.files()]


def test_two_pictures_one_corrupt_show_a_thumbnail_and_a_note(mms_desk):
    desk = mms_desk
    if desk.kit.one_file_per_message:
        pytest.skip(desk.kit.one_file_per_message)
    good, corrupt = _jpeg(), _jpeg()[:300]
    _send_mms(desk, "Here is the damage", (good, "image/jpeg"), (corrupt, "image/jpeg"))
    card = _accept(desk)
    preview = desk.previews_for("UAGENT1")[0]
    offered = preview["edits"][0] if preview["edits"] else preview  # as shown before Accept
    assert "2 pictures" in str(offered["blocks"])
    desk.slack.wait_for(lambda s: any("Picture 2 could not be shown" in line_text(m)
                                      for m in _thread(desk, card)), 10, "no note")
    # The text rides on the card, the thread's root; its pictures follow in the thread.
    assert card_texts(card) == ["Here is the damage"]
    assert "sent 2 pictures, in the thread" in str(card["blocks"])
    thread = _thread(desk, card)
    texts = [line_text(m) for m in thread]
    order = [next(i for i, t in enumerate(texts) if needle in t)
             for needle in ("Picture 1", "Picture 2 could not be shown")]
    assert order == sorted(order)
    shared = [m for m in thread if m.get("files")]
    assert len(shared) == 1 and len(desk.slack.files()) == 1
    [thumbnail] = _thumbnails(desk)
    assert thumbnail.size == (360, 270)
    assert "The original file is kept" in texts[order[1]]
    with desk.db.transaction() as s:
        kept = s.scalars(select(Media).order_by(Media.position)).all()
        assert [m.state for m in kept] == ["ready", "rejected"]
        assert kept[1].original == corrupt  # broken, but the customer's bytes are not lost


def test_a_12_megapixel_photo_becomes_a_thumbnail_and_opens_full_size(mms_desk):
    desk = mms_desk
    _send_mms(desk, "", (_camera_photo(), "image/jpeg"))
    card = _accept(desk)
    desk.slack.wait_for(lambda s: s.files(), 15, "no thumbnail uploaded")
    [thumbnail] = _thumbnails(desk)
    assert max(thumbnail.size) == 360 and thumbnail.size == (360, 270)
    assert "sent 1 picture" in str(card["blocks"])  # on the card, the thread's root

    buttons = desk.slack.wait_for(lambda s: next(
        (m for m in _thread(desk, card) if "Picture 1" in line_text(m)), None), 5, "no button")
    desk.click("UAGENT1", ids.OPEN_MEDIA, action_value(buttons, ids.OPEN_MEDIA),
               channel=DESK_CHANNEL, message_ts=buttons["ts"])
    note = desk.slack.wait_for(lambda s: next((e for e in s.ephemerals(DESK_CHANNEL)
                                               if "full size" in e["text"]), None), 5, "no link")
    assert "Save" not in note["text"]  # an agent's role may not save media by default
    link = note["text"].split("<", 1)[1].split("|", 1)[0]
    response = desk.http.get(link)
    assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
    assert response.headers["content-disposition"].startswith("inline")
    assert Image.open(io.BytesIO(response.content)).size == (4000, 3000)


def test_only_roles_allowed_to_save_get_a_download_link_and_links_cannot_be_forged(mms_desk):
    desk = mms_desk
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    exif[0x8825] = {1: "N", 2: (37.0, 46.0, 30.0)}  # GPS: where the customer stood
    _send_mms(desk, "photo", (_jpeg((640, 480), exif), "image/jpeg"))
    card = _accept(desk)
    buttons = desk.slack.wait_for(lambda s: next(
        (m for m in _thread(desk, card) if "Picture 1" in line_text(m)), None), 10, "no button")
    desk.click(SUPERVISOR, ids.OPEN_MEDIA, action_value(buttons, ids.OPEN_MEDIA),
               channel=DESK_CHANNEL, message_ts=buttons["ts"])
    note = desk.slack.wait_for(lambda s: next((e for e in s.ephemerals(DESK_CHANNEL)
                                               if e["user"] == SUPERVISOR), None), 5, "no link")
    save = next(part.split("|")[0] for part in note["text"].split("<") if "Save" in part)
    response = desk.http.get(save)
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment")
    saved = Image.open(io.BytesIO(response.content))
    assert saved.size == (480, 640)  # turned upright
    assert not saved.getexif() and b"GPS" not in response.content

    parsed = urlparse(save)
    forged = save.replace(f"/{parsed.path.split('/')[2]}/", "/999/")
    assert desk.http.get(forged).status_code == 403
    assert desk.http.get(save.replace("sig=", "sig=0")).status_code == 403
    assert desk.http.get(save.replace("/save?", "/original?")).status_code == 403


def test_a_decompression_bomb_is_refused_with_a_note(mms_desk):
    desk = mms_desk
    _send_mms(desk, "look", (_bomb(), "image/gif"))
    card = _accept(desk)
    note = desk.slack.wait_for(lambda s: next(
        (m for m in _thread(desk, card) if "could not be shown" in line_text(m)), None), 10,
        "no note")
    assert "megapixel" in line_text(note)
    assert desk.slack.files() == []


def test_a_picture_on_another_host_is_not_fetched_and_the_text_still_arrives(mms_desk):
    desk = mms_desk
    with FakeMediaHost() as elsewhere:
        url = elsewhere.serve("/photo.jpg", _jpeg(), "image/jpeg")
        response = desk.kit.inbound(desk, CUSTOMER, BUSINESS_NUMBER, "Here is the damage",
                                    media_urls=((url, "image/jpeg"),))
        assert response.status_code == 200
        card = _accept(desk)
        note = desk.slack.wait_for(lambda s: next(
            (m for m in _thread(desk, card) if "could not be shown" in line_text(m)), None), 10,
            "no note")
        desk.wait_idle()
        assert desk.kit.foreign_media_note in line_text(note)
        assert card_texts(card) == ["Here is the damage"]
        assert elsewhere.requests == []  # no request, so no credentials either
    assert desk.slack.files() == []


def test_twilios_redirect_to_its_storage_is_followed_without_the_credentials(
        twilio_mms_desk):
    desk = twilio_mms_desk
    with FakeMediaHost() as storage:
        stored = storage.serve("/s3/ME0", _jpeg(), "image/jpeg")
        url = desk.twilio.redirect_media(
            f"/2010-04-01/Accounts/{desk.twilio.account_sid}/Messages/MM1/Media/ME0", stored)
        desk.customer_texts(CUSTOMER, "photo", NumMedia="1", MediaUrl0=url,
                            MediaContentType0="image/jpeg")
        _accept(desk)
        desk.slack.wait_for(lambda s: s.files(), 10, "no thumbnail")
        [request] = storage.requests
        assert "authorization" not in request.headers


def test_an_agents_file_upload_is_not_relayed_and_they_are_told_why(mms_desk):
    desk = mms_desk
    desk.customer_texts(CUSTOMER, "Can you send me the form?")
    card = _accept(desk, "SMS")
    ts = desk.slack.user_posts(DESK_CHANNEL, "UAGENT1", "Here it is", thread_ts=card["ts"])
    desk.event({"type": "message", "subtype": "file_share", "channel": DESK_CHANNEL,
                "user": "UAGENT1", "text": "Here it is", "ts": ts, "thread_ts": card["ts"],
                "files": [{"id": "F1", "name": "form.pdf"}]})
    desk.slack.wait_for(lambda s: any("cannot be sent by SMS" in e["text"]
                                      for e in s.ephemerals(DESK_CHANNEL)), 5, "not told")
    desk.wait_idle()
    assert desk.provider.sent == []


def test_an_mms_to_a_session_number_still_arrives_in_page_mode(tmp_path, provider):
    settings = Settings(desk_channel=DESK_CHANNEL, session_numbers=(BUSINESS_NUMBER,))
    desk = start_desk(f"sqlite:///{tmp_path / 'd.sqlite3'}", settings=settings,
                      sms_provider=provider)
    try:
        _send_mms(desk, "pic", (_jpeg(), "image/jpeg"))
        _accept(desk)  # asserts "(Page mode)"
    finally:
        desk.close()


def test_the_simulator_phone_can_send_a_picture(tmp_path):
    desk = start_desk(f"sqlite:///{tmp_path / 'd.sqlite3'}", sms_provider="simulator")
    try:
        response = desk.http.post(desk.url + "/simulator/api/messages",
                                  headers=desk.simulator_headers,
                                  data={"from": CUSTOMER, "body": "my dog"},
                                  files={"image": ("dog.jpg", _jpeg(), "image/jpeg")})
        assert response.status_code == 201
        _accept(desk)
        desk.slack.wait_for(lambda s: s.files(), 10, "no thumbnail from the simulator")
        conversation = desk.http.get(desk.url + "/simulator/api/messages",
                                     headers=desk.simulator_headers,
                                     params={"phone": CUSTOMER}).json()["messages"]
        assert conversation[0]["body"] == "my dog" and conversation[0]["pictures"] == 1
    finally:
        desk.close()
