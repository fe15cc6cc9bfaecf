"""Fetching an MMS file: credentials to Twilio only, redirects checked, one deadline.

The adapter against the fake Twilio and a fake file host over real HTTP; the flows (a
refused picture's note in the thread, the customer's text kept) are in test_flow_mms.py.
"""

from __future__ import annotations

import httpx
import pytest

from bot.desk.messages import MediaFetchError
from bot.sms.twilio import TwilioSender
from bot.sms.twilio_media import MAX_REDIRECTS, MediaOrigin
from tests.fakes.media_host import FakeMediaHost
from tests.fakes.twilio_api import DEFAULT_ACCOUNT_SID, FakeTwilio

MEDIA_PATH = f"/2010-04-01/Accounts/{DEFAULT_ACCOUNT_SID}/Messages/MM1/Media/ME0"
MAX_BYTES = 5 * 1024 * 1024


@pytest.fixture
def twilio():
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture
def storage():
    with FakeMediaHost() as fake:
        yield fake


def _sender(twilio: FakeTwilio, **options) -> TwilioSender:
    return TwilioSender(twilio.account_sid, twilio.auth_token, twilio.url, None, **options)


def _refusal(sender: TwilioSender, url: str) -> MediaFetchError:
    with pytest.raises(MediaFetchError) as refused:
        sender.fetch_media(url, MAX_BYTES)
    return refused.value


def test_twilios_redirect_to_its_storage_gets_the_file_without_the_credentials(twilio, storage):
    stored = storage.serve("/s3/ME0", b"picture bytes", "image/jpeg")
    url = twilio.redirect_media(MEDIA_PATH, stored)
    assert _sender(twilio).fetch_media(url, MAX_BYTES) == (b"picture bytes", "image/jpeg")
    assert [call.status for call in twilio.calls] == [307]  # Twilio saw the credentials
    [request] = storage.requests
    assert "authorization" not in request.headers


def test_a_media_url_on_another_host_gets_no_request(twilio, storage):
    elsewhere = storage.serve(MEDIA_PATH, b"picture bytes", "image/jpeg")
    refused = _refusal(_sender(twilio), elsewhere)
    assert refused.permanent and "not on Twilio's API" in str(refused)
    assert storage.requests == []


@pytest.mark.parametrize("location", [
    "ftp://127.0.0.1/photo.jpg",
    "file:///etc/passwd",
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://10.0.0.7/photo.jpg",
    "http://[::ffff:169.254.169.254]/latest/meta-data/",
    "http://user:secret@127.0.0.1:9/photo.jpg",
])
def test_a_redirect_to_another_scheme_or_a_private_address_is_refused(twilio, location):
    url = twilio.redirect_media(MEDIA_PATH, location)
    refused = _refusal(_sender(twilio), url)
    assert refused.permanent and "Twilio redirected it" in str(refused)


def test_a_chain_of_redirects_is_cut_after_a_few_hops(twilio, storage):
    loop = storage.redirect("/again", "/again")
    refused = _refusal(_sender(twilio), twilio.redirect_media(MEDIA_PATH, loop))
    assert refused.permanent and "more than" in str(refused)
    assert len(storage.requests) == MAX_REDIRECTS


def test_a_server_that_dribbles_bytes_is_cut_at_one_deadline(twilio, storage):
    # Each byte comes well within any read timeout; only the whole-fetch deadline stops it.
    slow = storage.dribble("/s3/slow", b"x" * 200, "image/jpeg", every=0.02)  # ~4 s in all
    refused = _refusal(_sender(twilio, media_deadline=0.3),
                       twilio.redirect_media(MEDIA_PATH, slow))
    assert "took longer than 0.3 seconds" in str(refused)
    assert not refused.permanent  # a slow hour at the provider passes: asked again later
    assert storage.bytes_dribbled < 200


# The policy as it stands in production, where the API is https://api.twilio.com. Addresses
# are literal or in /etc/hosts, so nothing here needs DNS.
PRODUCTION = MediaOrigin.of_api("https://api.twilio.com")
TWILIO_MEDIA = ("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1")


@pytest.mark.parametrize("url, holds", [
    (TWILIO_MEDIA, True),
    (TWILIO_MEDIA.replace("api.twilio.com", "api.twilio.com:443"), True),
    (TWILIO_MEDIA.replace("https:", "http:"), False),
    (TWILIO_MEDIA.replace("api.twilio.com", "api.twilio.com.evil.example"), False),
    (TWILIO_MEDIA.replace("api.twilio.com", "api.twilio.com@evil.example"), False),
    (TWILIO_MEDIA.replace("api.twilio.com", "AC1:token@api.twilio.com"), False),
    (TWILIO_MEDIA.replace("api.twilio.com", "api.twilio.com:8443"), False),
    ("https://api.twilio.com/2010-04-01/Accounts/../../evil", False),
    ("https://evil.example/" + TWILIO_MEDIA, False),
])
def test_only_twilios_api_gets_the_credentials(url, holds):
    assert PRODUCTION.holds(httpx.URL(url)) is holds


@pytest.mark.parametrize("location, refused", [
    ("https://54.231.0.1/bucket/ME1?Signature=x", None),  # a public address: S3's, say
    ("http://54.231.0.1/bucket/ME1", "not https"),
    ("https://127.0.0.1/ME1", "private or local"),
    ("https://localhost/ME1", "private or local"),
    ("https://[::1]/ME1", "private or local"),
    ("https://10.1.2.3/ME1", "private or local"),
    ("https://192.168.0.10/ME1", "private or local"),
    ("https://169.254.169.254/latest/meta-data/", "private or local"),
    ("https://[::ffff:10.1.2.3]/ME1", "private or local"),
    ("https://[fd00::1]/ME1", "private or local"),
    ("http://127.0.0.1:8080/ME1", "not https"),  # loopback http is for tests' fakes only
])
def test_in_production_a_redirect_leads_only_to_public_https(location, refused):
    why = PRODUCTION.refuses_redirect(httpx.URL(location))
    assert (why is None) if refused is None else (refused in why)


def test_a_fake_twilio_on_loopback_may_redirect_to_loopback_http_and_nowhere_private():
    tests = MediaOrigin.of_api("http://127.0.0.1:5000")
    assert tests.refuses_redirect(httpx.URL("http://127.0.0.1:6000/s3/ME0")) is None
    assert "private" in tests.refuses_redirect(httpx.URL("https://10.0.0.7/ME0"))
    assert "not https" in tests.refuses_redirect(httpx.URL("http://10.0.0.7/ME0"))
