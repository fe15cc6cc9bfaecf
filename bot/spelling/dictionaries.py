"""The languages pyspellchecker ships, each loaded once per process on first use.

Loading a language (read pyspellchecker's word list, build the suggestion index) takes
0.3-3 s and 30-280 MB (English ~2 s and 160 MB), so it happens once per language per
process: lazily on the first check in that language, or up front with preload() at
start-up. A lock per language makes concurrent first checks wait for one load instead of
each doing its own.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from spellchecker import SpellChecker

from bot.spelling.index import SuggestionIndex

NAMES = {
    "ar": "Arabic",
    "de": "German",
    "en": "English",
    "es": "Spanish",
    "eu": "Basque",
    "fa": "Persian",
    "fr": "French",
    "it": "Italian",
    "lv": "Latvian",
    "nl": "Dutch",
    "pt": "Portuguese",
    "ru": "Russian",
}


@dataclass(frozen=True)
class Dictionary:
    """One language: its words (lower case) with frequencies, and their suggestion index."""

    language: str
    frequencies: Mapping[str, int]
    index: SuggestionIndex
    # What the word list writes before an apostrophe (dell' in dell'anno, jusqu' in
    # jusqu'ici) and after one ('s, n't, 'll, 've): such pieces join any known word.
    elisions: frozenset[str] = frozenset()
    enclitics: frozenset[str] = frozenset()


_loaded: dict[str, Dictionary] = {}
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def languages() -> list[tuple[str, str]]:
    """(code, name) of every language pyspellchecker ships, by name."""
    codes = SpellChecker.languages()
    return sorted(((code, NAMES.get(code, code)) for code in codes), key=lambda pair: pair[1])


def dictionary(language: str) -> Dictionary:
    """The loaded language; loads it on first use. ValueError for a language not shipped."""
    loaded = _loaded.get(language)
    if loaded is not None:
        return loaded
    if language not in SpellChecker.languages():
        raise ValueError(f"no spelling dictionary for language {language!r}")
    with _locks_guard:
        lock = _locks.setdefault(language, threading.Lock())
    with lock:
        loaded = _loaded.get(language)
        if loaded is None:
            loaded = _load(language)
            _loaded[language] = loaded
    return loaded


def is_loaded(language: str) -> bool:
    """Whether a check in this language answers now, without a load first."""
    return language in _loaded


def preload(languages: Iterable[str]) -> None:
    """Load these languages now (at start-up) so no agent's first check waits for it."""
    for language in languages:
        dictionary(language)


def _load(language: str) -> Dictionary:
    # pyspellchecker lower-cases its word list on load (case_sensitive=False); keep only the
    # word -> frequency mapping and let the SpellChecker object go.
    frequencies = dict(SpellChecker(language=language).word_frequency.dictionary)
    joined = [word.split("'") for word in frequencies if "'" in word[1:-1]]
    loaded = Dictionary(
        language,
        frequencies,
        SuggestionIndex(frequencies),
        elisions=frozenset(pieces[0] for pieces in joined),
        enclitics=frozenset(piece for pieces in joined for piece in pieces[1:]),
    )
    # One full collection now, while the caller waits for the load anyway: it finds that the
    # index's 300,000 tuples and its dicts hold only strings and stops tracking them. Left
    # to chance, that first walk (0.1-0.4 s) would stall some later check, and until it
    # happens every full collection pays it again.
    gc.collect()
    return loaded
