"""Spell checking an agent's reply: what is flagged, what is offered, and how it is applied."""

from __future__ import annotations

import gc
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.spelling import Flag, apply_suggestions, check, dictionaries, languages, preload
from bot.spelling.index import SuggestionIndex, osa_distance


def flagged(text: str, **kwargs) -> list[str]:
    return [flag.word for flag in check(text, **kwargs)]


def suggestions_for(word: str, **kwargs) -> tuple[str, ...]:
    (flag,) = check(word, **kwargs)
    return flag.suggestions


# What is never flagged


def test_plain_correct_english_is_not_flagged():
    assert flagged("Thanks for waiting, your parcel arrives tomorrow afternoon.") == []


def test_urls_are_not_flagged():
    text = ("Track it at https://tracking.exmaple.com/xq?id=zzqv or www.exmaple.com/frmo, "
            "or on exmaple.co.uk/trakc.")
    assert flagged(text) == []


def test_email_addresses_are_not_flagged():
    assert flagged("Write to jnae.doe+ordres@exmaple.com any time.") == []


def test_phone_numbers_numbers_and_amounts_are_not_flagged():
    text = "Call +1 (555) 010-0199 or 1-800-FLOWERS; it costs $1,299.00, 12,50 €, 15% off, 3x."
    assert flagged(text) == []


def test_times_are_not_flagged():
    assert flagged("We open at 10am and close at 5:30pm, or 17h30, e.g. 9 a.m. sharp.") == []


def test_order_and_ticket_codes_of_letters_and_digits_are_not_flagged():
    text = "Order A12XQ7, ticket ORD-88412, parcel 1Z999AA10123456784, code SAVE20, covid-19."
    assert flagged(text) == []


def test_mentions_and_hashtags_are_not_flagged():
    assert flagged("Ask @jnae.doe or @mrkus in #shpping-team about it.") == []


def test_emoji_and_emoji_codes_are_not_flagged():
    assert flagged("Done 😀👋🏽 :slighlty_smiling_face: :thumbsup::skin-tone-3: :+1:") == []


def test_slack_user_channel_and_special_mentions_are_not_flagged():
    assert flagged("Hi <@U123ABC>, see <#C1|shpping-teem> and <!here> <!subteam^S1|@teem>.") == []


def test_a_slack_link_label_is_checked_but_its_url_is_not():
    text = "Follow <https://exmaple.com/trakc?id=1|your trakcing page> for updates."
    (flag,) = check(text)
    assert flag.word == "trakcing"
    assert text[flag.start:flag.end] == "trakcing"
    assert "tracking" in flag.suggestions


def test_html_entities_in_slack_text_are_not_flagged():
    assert flagged("Salt &amp; pepper, 3 &lt; 4 &gt; 2 &#128512; &nbsp;") == []


def test_code_in_backticks_is_not_flagged():
    assert flagged("Type `snipet --verbos` or\n```\nblokc of cdoe\n```\nthen send.") == []


def test_contractions_and_possessives_with_either_apostrophe_are_not_flagged():
    text = ("We don't know yet, we'll see. It\u2019s the customer's parcel, they\u2019ve got "
            "the driver\u2019s number, y'all can't miss it, the students' bus won\u2019t wait.")
    assert flagged(text) == []


def test_a_misspelled_contraction_is_flagged_whole_with_its_apostrophe_kept():
    (flag,) = check("We would'nt do that.")
    assert flag.word == "would'nt"
    assert flag.suggestions[0] == "wouldn't"
    (curly,) = check("We would\u2019nt do that.")
    assert curly.suggestions[0] == "wouldn\u2019t"


def test_each_part_of_a_hyphenated_word_is_checked_on_its_own():
    text = "A folow-up on the e-mail, a well-known long-term plan, a re-sent recieve-only note."
    flags = check(text)
    assert [flag.word for flag in flags] == ["folow", "recieve"]
    assert [text[flag.start:flag.end] for flag in flags] == ["folow", "recieve"]
    assert flags[0].suggestions[0] == "follow"


def test_all_caps_acronyms_of_up_to_five_letters_are_not_flagged():
    assert flagged("Your SMS from USPS via UPS, ASAP, FYI: the NASDQ IDs and FAQs.") == []


def test_a_longer_all_caps_word_is_checked_and_suggested_in_capitals():
    (flag,) = check("PLEASSE call back.")
    assert flag.word == "PLEASSE"
    assert flag.suggestions[0] == "PLEASE"


def test_camel_case_brand_names_are_not_flagged():
    assert flagged("Pay with PayPal from your iPhone or WhatsApp us.") == []


def test_single_letters_are_not_flagged():
    assert flagged("Plan B, row x, vitamin D, the q in 2 x 3.") == []


def test_a_word_capitalised_at_sentence_start_is_still_a_known_word():
    assert flagged("Receive it today. Tomorrow works too! Restaurant is closed? Parcel ok.") == []


def test_known_words_are_not_flagged_whatever_their_case():
    text = "Hi Zyrtrax, your Quikpay refund from Jnae is ready, zyrtrax."
    known = frozenset({"ZYRTRAX", "quikpay", "Jnae"})
    assert flagged(text) == ["Zyrtrax", "Quikpay", "Jnae", "zyrtrax"]
    assert flagged(text, known=known) == []


def test_the_contacts_and_agents_names_are_not_flagged_even_as_possessives():
    text = "Hi Xochitl, this is Siobhan: Xochitl's parcel and Siobhan\u2019s note."
    known = frozenset({"Xochitl Quispe", "Siobhan"})
    assert flagged(text, known=known) == []


def test_ignore_all_words_are_passed_in_known_like_any_dictionary():
    assert flagged("Smsdesk says hi", known=frozenset({"smsdesk"})) == []


# Suggestions


def test_recieve_is_corrected_to_receive():
    assert suggestions_for("recieve")[0] == "receive"


def test_restuarnat_is_corrected_to_restaurant():
    assert suggestions_for("restuarnat")[0] == "restaurant"


def test_suggestions_follow_the_written_case():
    assert suggestions_for("Recieve")[0] == "Receive"
    assert suggestions_for("RECIEVE")[0] == "RECEIVE"


def test_at_most_five_suggestions_best_first():
    suggestions = suggestions_for("teh")
    assert suggestions[0] == "the"
    assert 1 < len(suggestions) <= 5


def test_a_garbage_token_is_flagged_with_no_suggestions():
    (flag,) = check("xqzjwkvbnmlpoiuytrewqasdfghjklzxcv")
    assert flag.suggestions == ()


def test_flags_carry_offsets_into_the_checked_text():
    text = "Dear custmer, your pakage is on its way."
    flags = check(text)
    assert flags == [
        Flag("custmer", 5, 12, flags[0].suggestions),
        Flag("pakage", 19, 25, flags[1].suggestions),
    ]
    assert flags[0].suggestions[0] == "customer"
    assert flags[1].suggestions[0] == "package"


# Languages


def test_every_language_pyspellchecker_ships_is_offered_with_a_name():
    offered = dict(languages())
    assert {"en", "es", "fr", "pt", "de", "it", "ru", "ar", "lv", "eu", "nl", "fa"} <= set(offered)
    assert offered["es"] == "Spanish"
    assert all(name and name != code for code, name in offered.items())


def test_spanish_flags_english_words():
    text = "Thanks for waiting, your order ships tomorrow."
    assert {"Thanks", "waiting", "your", "ships", "tomorrow"} <= set(flagged(text, language="es"))
    assert flagged(text, language="en") == []


def test_spanish_accepts_spanish():
    text = "Hola, gracias por su pedido. Buenos días: llega mañana por la tarde."
    assert flagged(text, language="es") == []


def test_spanish_suggestions_come_from_the_spanish_dictionary():
    assert suggestions_for("pedidio", language="es")[0] == "pedido"
    assert suggestions_for("mañnaa", language="es")[0] == "mañana"


def test_a_misspelled_spanish_plural_is_offered_a_plural():
    # pyspellchecker's Spanish list has the singulars only (día, gracia), see checker.
    assert suggestions_for("dias", language="es")[0] == "días"
    assert suggestions_for("Grasias", language="es")[0] == "Gracias"


def test_french_and_italian_elisions_are_not_flagged():
    assert flagged("Aujourd'hui, l'homme qu'il voit jusqu'ici.", language="fr") == []
    assert flagged("C'è un'altra consegna nell'anno.", language="it") == []


def test_an_unknown_language_is_refused():
    with pytest.raises(ValueError):
        check("hello", language="xx")


def test_preload_loads_a_language_once_even_when_threads_race_for_it(monkeypatch):
    loads = []

    def slow_load(language):
        loads.append(language)
        time.sleep(0.05)
        return dictionaries.Dictionary(language, {"hola": 1}, SuggestionIndex({"hola": 1}))

    monkeypatch.setattr(dictionaries, "_loaded", {})
    monkeypatch.setattr(dictionaries, "_load", slow_load)
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(dictionaries.dictionary("es")))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    preload(["es"])
    assert loads == ["es"]
    assert len({id(loaded) for loaded in seen}) == 1


def test_a_loaded_language_leaves_nothing_for_the_garbage_collector_to_walk():
    # Every full collection walks what it tracks; a tracked index (300,000 containers) made
    # each one a ~0.4 s pause in the middle of some agent's check.
    index = dictionaries.dictionary("en").index
    assert not gc.is_tracked(index._deletes)
    assert not gc.is_tracked(index._by_prefix)
    assert not any(gc.is_tracked(held) for held in list(index._deletes.values())[:1000])


# Applying the agent's choices


def test_apply_suggestions_keeps_offsets_right_when_lengths_differ():
    text = "I recieve teh pakage at the restuarnat tmrw, thx."
    flags = check(text)
    assert [flag.word for flag in flags] == ["recieve", "teh", "pakage", "restuarnat", "tmrw",
                                             "thx"]
    choices = {1: "the", 4: "tomorrow", 5: "thanks"}
    assert apply_suggestions(text, flags, choices) == (
        "I receive the package at the restaurant tomorrow, thanks."
    )


def test_apply_suggestions_leaves_a_flag_without_suggestions_as_written():
    text = "Your code is xqzjwkvbnm, recieve it."
    flags = check(text)
    assert apply_suggestions(text, flags) == "Your code is xqzjwkvbnm, receive it."


def test_apply_suggestions_uses_the_agents_choice_over_the_first_suggestion():
    text = "Thanks for the adress."
    flags = check(text)
    assert flags[0].suggestions[:2] == ("dress", "address")
    assert apply_suggestions(text, flags, {0: "address"}) == "Thanks for the address."


# Properties over wide input


_FRAGMENTS = st.sampled_from([
    "recieve", "teh", "don't", "it\u2019s", "follow-up", "folow-up", "SMS", "PLEASSE", "10am",
    "A12B", "https://x.io/a?b=c", "<https://x.io|lable>", "<@U1>", "<#C1|x>", "&amp;",
    ":smile:", "😀", "jane@x.com", "@bob", "#tag", "`code`", "```", "e.g.", "_italic_", "*b*",
    "-", "'", "\u2019", "<", ">", "|", ":", "\n", " ", "", "l'homme", "xq", "a", "Ångström",
    "e\u0301t\u00e9", "\u200c", "می\u200cرسد", "café", "'quoted'", "--", "__", "x_y",
])
_TEXT = st.lists(st.one_of(_FRAGMENTS, st.text(max_size=12)), max_size=30).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT)
def test_check_never_raises_and_every_flag_points_at_its_word(text):
    flags = check(text)
    for flag in flags:
        assert text[flag.start:flag.end] == flag.word
        assert len(flag.suggestions) <= 5
    starts = [flag.start for flag in flags]
    assert starts == sorted(starts)
    assert all(a.end <= b.start for a, b in zip(flags, flags[1:], strict=False))


@settings(max_examples=200, deadline=None)
@given(_TEXT)
def test_apply_suggestions_with_no_flags_is_identity(text):
    assert apply_suggestions(text, []) == text


@settings(max_examples=200, deadline=None)
@given(_TEXT)
def test_applying_every_flags_first_suggestion_changes_only_flagged_spans(text):
    flags = check(text)
    corrected = apply_suggestions(text, flags)
    kept = {index: flag.word for index, flag in enumerate(flags)}
    assert apply_suggestions(text, flags, kept) == text
    if not any(flag.suggestions for flag in flags):
        assert corrected == text


# The suggestion index against brute force


def _reference_osa(a: str, b: str) -> int:
    rows = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        rows[i][0] = i
    for j in range(len(b) + 1):
        rows[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            rows[i][j] = min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                rows[i][j] = min(rows[i][j], rows[i - 2][j - 2] + 1)
    return rows[len(a)][len(b)]


_SHORT = st.text(alphabet="abcd", max_size=9)


@settings(max_examples=500, deadline=None)
@given(_SHORT, _SHORT, st.integers(min_value=0, max_value=3))
def test_bounded_distance_matches_the_textbook_one(a, b, limit):
    assert osa_distance(a, b, limit) == min(_reference_osa(a, b), limit + 1)


def test_a_word_whose_two_edits_both_fall_inside_the_prefix_is_still_found():
    # aaab -> abba: one substitution in the prefix, one swap straddling its end. The
    # shortest such pairs need the tail comparison to leave out the letter at the boundary.
    assert SuggestionIndex({"abba": 1}, prefix=3).suggest("aaab") == ("abba",)
    assert SuggestionIndex({"aabba": 1}, prefix=4).suggest("aaaab") == ("aabba",)


@st.composite
def _typo_of(draw, words):
    """One of the words with up to two random edits: mostly the two-edit typos that make
    the index search deepest."""
    typo = draw(st.sampled_from(sorted(words)))
    for _ in range(draw(st.integers(min_value=1, max_value=2))):
        at = draw(st.integers(min_value=0, max_value=len(typo)))
        edit = draw(st.sampled_from(["delete", "insert", "substitute", "swap"]))
        letter = draw(st.sampled_from("abcd"))
        if edit == "insert":
            typo = typo[:at] + letter + typo[at:]
        elif edit == "delete":
            typo = typo[:at] + typo[at + 1:]
        elif edit == "substitute":
            typo = typo[:at] + letter + typo[at + 1:]
        else:
            typo = typo[:at] + typo[at + 1:at + 2] + typo[at:at + 1] + typo[at + 2:]
    return typo


@st.composite
def _dictionary_and_query(draw):
    words = draw(st.dictionaries(st.text(alphabet="abcd", min_size=1, max_size=12),
                                 st.integers(min_value=1, max_value=5), min_size=1, max_size=40))
    query = draw(st.one_of(_typo_of(words), st.text(alphabet="abcd", min_size=1, max_size=12)))
    return words, query or "a"


@settings(max_examples=1500, deadline=None)
@given(_dictionary_and_query(), st.integers(min_value=1, max_value=2))
def test_the_index_finds_exactly_the_nearest_words_brute_force_finds(case, limit):
    # A prefix of 3 on words up to 12 letters exercises the prefix and tail shortcuts that
    # the real index (prefix 7) takes on longer words.
    words, query = case
    index = SuggestionIndex(words, prefix=3)
    distances = {w: _reference_osa(query, w) for w in words if w != query}
    near = [w for w, d in distances.items() if d <= limit]
    best = min((distances[w] for w in near), default=None)
    expected = sorted((w for w in near if distances[w] == best), key=lambda w: (-words[w], w))
    assert index.suggest(query, limit, limit=1000) == tuple(expected)


# --- a draft's per-word choices (the Reply… and New SMS modals) ------------------------------

def _draft_flags(text: str, word: str = "teh"):
    from bot.desk.interactions.spelling import WordFlag

    starts = [i for i in range(len(text)) if text.startswith(word, i)]
    return tuple(WordFlag(word, start, ("the", "ten")) for start in starts)


def test_a_suggestion_picked_in_a_draft_replaces_that_occurrence_and_keeps_ignores_in_place():
    from bot.desk.interactions.spelling import Draft, WordPick, choose_in_draft, without_ignored

    text = "teh a teh b teh"
    flags = _draft_flags(text)
    added: list[str] = []
    ignored_middle = choose_in_draft(Draft(text), flags, 6, WordPick.IGNORE,
                                     add_word=added.append)
    assert ignored_middle.ignored == (("teh", 1),)
    fixed = choose_in_draft(ignored_middle, flags, 0, WordPick.USE, "ten",
                            add_word=added.append)
    assert fixed.text == "ten a teh b teh"
    # The middle "teh" is now the first flagged one: still the one ignored.
    assert fixed.ignored == (("teh", 0),)
    remaining = [f.start for f in without_ignored(
        check(fixed.text, known=frozenset({"b"})), frozenset(fixed.ignored))]
    assert remaining == [12]
    assert added == []


def test_a_draft_refuses_a_suggestion_it_never_offered():
    from bot.desk.interactions.spelling import Draft, WordPick, choose_in_draft

    draft = Draft("teh end")
    assert choose_in_draft(draft, _draft_flags(draft.text), 0, WordPick.USE, "evil",
                           add_word=print) == draft


def test_ignore_all_in_a_draft_without_an_interaction_stays_with_the_draft():
    from bot.desk.interactions.spelling import Draft, WordPick, choose_in_draft

    draft = choose_in_draft(Draft("Teh end"), _draft_flags("Teh end", "Teh"), 0,
                            WordPick.IGNORE_ALL, add_word=print)
    assert draft.ignored_words == ("teh",)
    called: list[str] = []
    choose_in_draft(Draft("Teh end"), _draft_flags("Teh end", "Teh"), 0,
                    WordPick.IGNORE_ALL, add_word=print, ignore_all=called.append)
    assert called == ["Teh"]
