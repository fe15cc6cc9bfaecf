"""Segment counting: what a customer's phone receives and what the carrier bills."""

import json
from itertools import accumulate

import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.desk.segments import (
    GSM7,
    GSM7_BASIC,
    GSM7_EXTENSION,
    LIMITS,
    UCS2,
    cost,
    count_segments,
)

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 👨‍👩‍👧‍👦, 11 code units
FLAG_FR = "\U0001f1eb\U0001f1f7"  # 🇫🇷, 4 code units
WAVE_MEDIUM_SKIN = "\U0001f44b\U0001f3fd"  # 👋🏽, 4 code units
GRIN = "\U0001f600"  # 😀, a surrogate pair in UTF-16
E_ACUTE_COMBINING = "e\u0301"  # é as e + combining acute: not GSM-7


def test_empty_text_sends_nothing():
    report = count_segments("")
    assert report.segments == 0
    assert report.parts == ()


def test_160_gsm_characters_fit_one_sms():
    report = count_segments("a" * 160)
    assert report.encoding == GSM7
    assert report.segments == 1
    assert report.parts == ("a" * 160,)


def test_161st_character_makes_two_parts_of_153():
    report = count_segments("a" * 161)
    assert report.segments == 2
    assert [len(p) for p in report.parts] == [153, 8]


def test_306_gsm_characters_fill_two_parts_and_307_need_three():
    assert count_segments("a" * 306).segments == 2
    assert count_segments("a" * 307).segments == 3


def test_gsm_accented_letters_stay_gsm7():
    assert count_segments("Ça va? Où est Ñoño, Äpfel für Jörg? £5 ¥ §").encoding == GSM7


def test_accent_outside_the_gsm_alphabet_switches_to_ucs2():
    assert count_segments("más").encoding == UCS2


def test_one_emoji_switches_to_ucs2():
    report = count_segments("a" * 69 + "\u2764")  # ❤, one code unit
    assert report.encoding == UCS2
    assert report.segments == 1
    assert count_segments("a" * 70 + "\u2764").segments == 2


def test_71st_ucs2_character_makes_two_parts_of_67():
    report = count_segments("ж" * 71)
    assert [len(p) for p in report.parts] == [67, 4]


def test_astral_emoji_count_as_two_code_units():
    assert count_segments(GRIN * 35).segments == 1
    assert count_segments(GRIN * 36).segments == 2


def test_extension_characters_count_double():
    assert count_segments("€" * 80).segments == 1
    assert count_segments("€" * 81).segments == 2
    assert count_segments("{}[]~^|\\\f€").encoding == GSM7


def test_escape_pair_never_split_across_parts():
    # The euro would take septets 153 and 154: it moves whole to the second part.
    report = count_segments("a" * 152 + "€" + "b" * 10)
    assert report.parts == ("a" * 152, "€" + "b" * 10)


def test_surrogate_pair_never_split_across_parts():
    report = count_segments("a" * 66 + GRIN + "b" * 10)
    assert report.parts == ("a" * 66, GRIN + "b" * 10)


def test_zwj_family_emoji_never_split():
    report = count_segments("a" * 60 + FAMILY + "b" * 10)
    assert report.parts == ("a" * 60, FAMILY + "b" * 10)


def test_flag_never_split():
    report = count_segments("a" * 65 + FLAG_FR + "b" * 5)
    assert report.parts == ("a" * 65, FLAG_FR + "b" * 5)


def test_skin_tone_stays_with_its_emoji():
    report = count_segments("a" * 65 + WAVE_MEDIUM_SKIN + "b" * 5)
    assert report.parts == ("a" * 65, WAVE_MEDIUM_SKIN + "b" * 5)


def test_combining_marks_stay_with_their_letter():
    report = count_segments("a" * 66 + E_ACUTE_COMBINING + "b" * 5)
    assert report.parts == ("a" * 66, E_ACUTE_COMBINING + "b" * 5)


def test_cluster_bigger_than_a_part_is_cut_at_code_points():
    zalgo = "a" + "\u0301" * 150  # 151 code units in one grapheme cluster
    report = count_segments(zalgo)
    assert [len(p) for p in report.parts] == [67, 67, 17]
    assert "".join(report.parts) == zalgo


def test_as_dict_is_ready_for_json():
    report = count_segments("a" * 161)
    assert json.loads(json.dumps(report.as_dict())) == {
        "encoding": "GSM-7",
        "segments": 2,
        "parts": ["a" * 153, "a" * 8],
    }


# Property tests. Texts are drawn so that both encodings, multi-part messages and every
# kind of cluster that must not be cut show up often.
_gsm_text = st.text(alphabet=sorted(GSM7_BASIC | GSM7_EXTENSION), max_size=500)
_pieces = st.sampled_from(
    [
        "a",
        " ",
        "€",
        "{",
        "é",
        "\r\n",
        "ж",
        GRIN,
        FAMILY,
        FLAG_FR,
        WAVE_MEDIUM_SKIN,
        E_ACUTE_COMBINING,
        "a" + "\u0301" * 80,
    ]
)
_mixed_text = st.lists(_pieces, max_size=200).map("".join)
_any_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400)
texts = st.one_of(_gsm_text, _mixed_text, _any_text)


@settings(max_examples=200)
@given(texts)
def test_parts_join_to_the_original(text):
    assert "".join(count_segments(text).parts) == text


@settings(max_examples=200)
@given(texts)
def test_every_part_fits_its_encoding(text):
    report = count_segments(text)
    single, per_part = LIMITS[report.encoding]
    limit = single if report.segments == 1 else per_part
    assert all(cost(part, report.encoding) <= limit for part in report.parts)


@settings(max_examples=200)
@given(texts)
def test_segments_is_the_number_of_parts(text):
    report = count_segments(text)
    assert report.segments == len(report.parts)
    assert all(report.parts)


@settings(max_examples=200)
@given(texts)
def test_no_part_boundary_falls_inside_a_grapheme_cluster(text):
    report = count_segments(text)
    per_part = LIMITS[report.encoding][1]
    clusters = regex.findall(r"\X", text)
    cluster_ends = list(accumulate(len(c) for c in clusters))
    cluster_boundaries = {0, *cluster_ends}
    oversized = [
        (end - len(c), end)
        for c, end in zip(clusters, cluster_ends, strict=True)
        if cost(c, report.encoding) > per_part
    ]
    for boundary in accumulate(len(p) for p in report.parts[:-1]):
        assert boundary in cluster_boundaries or any(
            start < boundary < end for start, end in oversized
        )
