"""Spelling check before send: which words of an agent's reply to flag, and what to offer.

check() is pure apart from the process-wide dictionaries it loads once (see dictionaries)
and a cache of suggestions per language and word. What is never flagged: everything
tokens.words() leaves out (markup, URLs, addresses, codes, numbers, emoji), single letters,
ALL-CAPS acronyms of up to five letters (SMS, USPS, and their plurals IDs, FAQs), camelCase
brand names (iPhone, PayPal), and the words the caller knows: the personal and corporate
dictionaries, Ignore All, the contact's and agent's names.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import regex

from bot.spelling import dictionaries, tokens
from bot.spelling.dictionaries import Dictionary
from bot.spelling.index import MAX_SUGGESTIONS

ACRONYM_LETTERS = 5
_CAMEL = regex.compile(r"\p{Ll}\p{Lu}")
_CLITIC_JOINER = regex.compile("['\u200c]")
_SPACES_AND_HYPHENS = regex.compile(rf"[\s{regex.escape(tokens.HYPHENS)}]+")

# pyspellchecker 0.9's Spanish list lacks nearly every plural (1.9% of its words end in -s,
# against 43% in English): "gracias", "días", "buenos", "tardes" are missing while "gracia",
# "día", "bueno", "tarde" are there. A word is taken as known when its singular is, and a
# misspelled plural is offered the plurals of the singular's suggestions (dias -> días).
_SPANISH_PLURALS = (("ces", "z"), ("es", ""), ("s", ""))  # luces <- luz, ustedes <- usted


@dataclass(frozen=True)
class Flag:
    """A word the agent may have misspelled, where it is, and what it could be instead."""

    word: str  # as written
    start: int  # character offsets in the checked text: text[start:end] == word
    end: int
    suggestions: tuple[str, ...]  # best first, at most 5, in the word's case


def check(text: str, *, language: str = "en",
          known: frozenset[str] = frozenset()) -> list[Flag]:
    """The words of `text` not in the language's dictionary nor in `known` (any case).

    Raises ValueError for a language pyspellchecker does not ship (see languages()).
    """
    words = dictionaries.dictionary(language)
    extra = _normalised(frozenset(known))
    flags: list[Flag] = []
    for word in tokens.words(text):
        if _accepted(word.text, words, extra):
            continue
        # A compound not in the dictionary as a whole is checked piece by piece, so only
        # the misspelled piece of "folow-up" is flagged.
        pieces = word.parts() if any(h in word.text for h in tokens.HYPHENS) else (word,)
        for piece in pieces:
            if piece is word or not _accepted(piece.text, words, extra):
                flags.append(Flag(piece.text, piece.start, piece.end,
                                  _suggestions(piece.text, words, extra)))
    return flags


def apply_suggestions(text: str, flags: list[Flag],
                      choices: dict[int, str] | None = None) -> str:
    """The text with each flag (by its index in `flags`) replaced by the agent's choice,
    else by its first suggestion; a flag with neither stays as written.

    Replacements are placed by the flags' offsets into the original text, so a longer or
    shorter replacement does not move the ones after it. Overlapping flags (which check()
    never makes) are skipped after the first.
    """
    choices = choices or {}
    out: list[str] = []
    position = 0
    for index, flag in sorted(enumerate(flags), key=lambda pair: (pair[1].start, pair[0])):
        if flag.start < position or flag.end > len(text) or flag.start > flag.end:
            continue
        replacement = choices.get(index)
        if replacement is None:
            replacement = flag.suggestions[0] if flag.suggestions else text[flag.start:flag.end]
        out.append(text[position:flag.start])
        out.append(replacement)
        position = flag.end
    out.append(text[position:])
    return "".join(out)


def languages() -> list[tuple[str, str]]:
    """(code, human name) for every language pyspellchecker ships."""
    return dictionaries.languages()


def is_ready(language: str) -> bool:
    """False while the language's dictionary has not been loaded in this process yet."""
    return dictionaries.is_loaded(language)


def preload(languages: Iterable[str]) -> None:
    """Load these languages now, at start-up, instead of on their first check."""
    dictionaries.preload(languages)


def _accepted(written: str, words: Dictionary, extra: frozenset[str]) -> bool:
    letters = sum(1 for char in written if char.isalpha())
    if letters < 2:
        return True  # single letters: "a", "I", the x of "2 x 3", the l' of "l'homme"
    if _is_acronym(written) or _CAMEL.search(written):
        return True
    word = _lookup_form(written)
    if _known(word, words, extra):
        return True
    # Contractions and elisions: don't, we'll, it's, Jenny's, l'homme, dell'anno. The piece
    # before the apostrophe must be a word, one or two letters (l', qu') or something the
    # dictionary writes before an apostrophe (jusqu', dell'); each piece after it a word or
    # something the dictionary writes after one ('s, n't, 'll: not the 'nt of would'nt).
    # Persian joins a prefix with a zero-width non-joiner the same way (می‌رسد).
    first, *rest = _CLITIC_JOINER.split(word)
    if not rest:
        return False
    return (len(first) <= 2 or first in words.elisions or _known(first, words, extra)) and all(
        piece in words.enclitics or _known(piece, words, extra) for piece in rest
    )


def _is_acronym(written: str) -> bool:
    core = written[:-1] if written.endswith("s") else written  # IDs, FAQs, SMSs
    core = core.split("'")[0].split("\u2019")[0]  # SMS's
    return core.isupper() and sum(1 for char in core if char.isalpha()) <= ACRONYM_LETTERS


def _known(word: str, words: Dictionary, extra: frozenset[str]) -> bool:
    if word in words.frequencies or word in extra:
        return True
    if words.language == "es":
        for suffix, singular_ending in _SPANISH_PLURALS:
            stem = word[: -len(suffix)]
            if word.endswith(suffix) and len(stem) >= 2 \
                    and stem + singular_ending in words.frequencies:
                return True
    return False


def _lookup_form(written: str) -> str:
    """The word as the dictionaries store it: composed accents, straight apostrophe, lower."""
    return unicodedata.normalize("NFC", written).replace("\u2019", "'").lower()


@functools.lru_cache(maxsize=64)
def _normalised(known: frozenset[str]) -> frozenset[str]:
    # Cached by the set itself: the desk passes the same known-words set for every check in
    # an interaction, and a corporate dictionary can hold thousands of words.
    out: set[str] = set()
    for entry in known:
        form = _lookup_form(entry.strip())
        out.add(form)
        out.update(piece for piece in _SPACES_AND_HYPHENS.split(form) if piece)
    return frozenset(out)


def _suggestions(written: str, words: Dictionary, extra: frozenset[str]) -> tuple[str, ...]:
    word = _lookup_form(written)
    found = _nearest(words.language, word)
    if not found and "'" in word:
        # recieve's: the dictionary has no "receive's", so correct the one unknown piece.
        pieces = word.split("'")
        unknown = [i for i, piece in enumerate(pieces)
                   if len(piece) > 2 and not _known(piece, words, extra)]
        if len(unknown) == 1:
            at = unknown[0]
            found = tuple("'".join([*pieces[:at], fix, *pieces[at + 1:]])
                          for fix in _nearest(words.language, pieces[at]))
    return _in_written_style(written, found)


@functools.lru_cache(maxsize=8192)
def _nearest(language: str, word: str) -> tuple[str, ...]:
    # Two edits for words of five letters or more ("restuarnat" -> "restaurant"); one for
    # shorter ones, where two edits away lies half the dictionary ("xq": ox, xi, q, at...).
    max_distance = 1 if len(word) <= 4 else 2
    index = dictionaries.dictionary(language).index
    distance, found = index.nearest(word, max_distance)
    if language != "es" or not word.endswith("s") or len(word) < 4:
        return found[:MAX_SUGGESTIONS]
    # Ranked by distance, then by how common the singular is.
    ranked = [(distance, -index.frequency(w), w) for w in found]
    for cut in (1, 2) if word.endswith("es") else (1,):  # días -> día, ustedes -> usted
        singular_distance, singulars = index.nearest(word[:-cut], max_distance)
        ranked += [(singular_distance, -index.frequency(s), _spanish_plural(s))
                   for s in singulars]
    best = min((rank[0] for rank in ranked), default=None)
    out = dict.fromkeys(w for d, _, w in sorted(ranked) if d == best and w != word)
    return tuple(out)[:MAX_SUGGESTIONS]


def _spanish_plural(singular: str) -> str:
    if singular.endswith("z"):
        return singular[:-1] + "ces"
    return singular + ("s" if singular[-1] in "aeiouáéíóú" else "es")


def _in_written_style(written: str, suggestions: tuple[str, ...]) -> tuple[str, ...]:
    """Suggestions in the case and apostrophe the agent wrote: Recieve -> Receive."""
    curly = "\u2019" in written
    upper = sum(1 for char in written if char.isalpha()) > 1 and written.isupper()
    title = written[:1].isupper()
    out: list[str] = []
    for suggestion in suggestions:
        if curly:
            suggestion = suggestion.replace("'", "\u2019")
        if upper:
            suggestion = suggestion.upper()
        elif title:
            suggestion = suggestion[:1].upper() + suggestion[1:]
        if suggestion not in out and suggestion != written:
            out.append(suggestion)
    return tuple(out)
