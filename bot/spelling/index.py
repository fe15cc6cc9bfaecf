"""Spelling suggestions: a symmetric-delete index over one language's word frequencies.

pyspellchecker finds suggestions by generating every string within two edits of the word
(about 300,000 for a ten-letter word) and looking each one up: ~1.5 s for one two-edit typo
and ~17 s for a 35-letter garbage token on a 2-core machine. Here the dictionary side does
the work once, when the language is loaded: the first PREFIX letters of every word are
stored under each string that deleting one or two of them leaves (SymSpell's symmetric
delete, Wolf Garbe). Two words within two edits of each other always share such a string,
so a lookup probes at most 29 strings made from the query and checks the exact distance
for the few words they lead to. Only the prefix is indexed because the index size grows
with the square of the indexed length; the rest of the word is compared when verifying.
"""

from __future__ import annotations

import gc
from collections.abc import Mapping
from itertools import combinations

# Measured (bench/spelling.py --prefix 6): 6 halves load time and memory, but lookups get
# 2-3x slower because more words share six letters (English SMS p99 3.5 ms against 1.7;
# Portuguese two-edit typos p99 33 ms against 12, whole verb families share a stem);
# 8 nearly doubles memory again (Portuguese ~380 MB) for little gain.
PREFIX = 7
MAX_SUGGESTIONS = 5


class SuggestionIndex:
    """Words of one language and their frequencies, ready for nearest-word lookups."""

    def __init__(self, frequencies: Mapping[str, int], prefix: int | None = None) -> None:
        self._frequencies = frequencies
        self._prefix = prefix = prefix or PREFIX
        by_prefix: dict[str, list[str]] = {}
        for word in frequencies:
            by_prefix.setdefault(word[:prefix], []).append(word)
        # Many words share a prefix (restaurant, restaurants, restaurateur), so the deletes
        # are made once per prefix; on Portuguese that is 94,000 prefixes for 417,000 words.
        deletes: dict[str, str | tuple[str, ...]] = {}
        claim = deletes.setdefault
        # The build makes ~300,000 small tuples; the cyclic garbage collector would rescan all
        # of them again and again while they are made (measured: a third of the build).
        collecting = gc.isenabled()
        gc.disable()
        try:
            for stem in by_prefix:
                for key in _deletes(stem):
                    held = claim(key, stem)
                    if held is not stem:  # the key already leads to other prefixes
                        # Tuples, not lists: once the collector has seen that a tuple holds
                        # only strings it stops tracking it, so later collections skip the
                        # index (with lists every full collection walked them: ~0.4 s).
                        deletes[key] = (held, stem) if type(held) is str else (*held, stem)
        finally:
            if collecting:
                gc.enable()
        self._by_prefix = {stem: tuple(group) for stem, group in by_prefix.items()}
        self._deletes = deletes

    def suggest(self, word: str, max_distance: int = 2,
                limit: int = MAX_SUGGESTIONS) -> tuple[str, ...]:
        """The closest dictionary words, most frequent first; only the nearest distance.

        Like pyspellchecker, a word one edit away always beats a word two edits away,
        however common the latter. `word` must be in the dictionary's case (lower).
        """
        return self.nearest(word, max_distance)[1][:limit]

    def frequency(self, word: str) -> int:
        return self._frequencies.get(word, 0)

    def nearest(self, word: str, max_distance: int = 2) -> tuple[int, tuple[str, ...]]:
        """The distance of the closest dictionary words (max_distance + 1 if there are none
        that near) and all the words at that distance, most frequent first."""
        if not 0 <= max_distance <= 2:
            raise ValueError("the index holds deletes of up to two letters: max_distance <= 2")
        best = max_distance
        found: list[str] = []
        length = len(word)
        prefix = self._prefix
        letters = set(word)
        seen: set[str] = set()
        level = {word[:prefix]}
        for depth in range(max_distance + 1):
            if depth > best:
                break  # every word nearer than `depth` was reached at a smaller depth
            for key in level:
                for stem in self._stems_under(key):
                    if stem in seen:
                        continue
                    seen.add(stem)
                    if len(stem) - len(key) > best:
                        continue
                    # A full-length stem first reached at depth 2 shares only PREFIX - 2
                    # letters with the query's prefix, so both allowed edits start within
                    # the prefix (the second at most one letter past it, and a swap spans
                    # two) and the words end alike after PREFIX + 2 letters. The tests hold
                    # this against brute force (aaab/abba needs one of those two letters).
                    tail_check = depth == 2 and len(stem) == prefix
                    for candidate in self._by_prefix[stem]:
                        size = len(candidate)
                        if abs(size - length) > best or candidate == word:
                            continue
                        if best >= 2:
                            tail = min(size, length) - prefix - 2
                            if tail_check and tail > 0 and word[-tail:] != candidate[-tail:]:
                                continue
                            # Each letter one word has and the other lacks costs an edit.
                            other = set(candidate)
                            if len(letters - other) > best or len(other - letters) > best:
                                continue
                        distance = osa_distance(word, candidate, best)
                        if distance < best:
                            best, found = distance, [candidate]
                        elif distance == best:
                            found.append(candidate)
            if depth < best:
                level = {key[:i] + key[i + 1:] for key in level for i in range(len(key))}
        frequency = self._frequencies
        found.sort(key=lambda w: (-frequency[w], w))
        return (best if found else max_distance + 1), tuple(found)

    def _stems_under(self, key: str) -> tuple[str, ...]:
        held = self._deletes.get(key)
        own = (key,) if key in self._by_prefix else ()
        if held is None:
            return own
        if isinstance(held, str):
            return (*own, held)
        return (*own, *held) if own else held


def osa_distance(a: str, b: str, limit: int) -> int:
    """Edit distance counting an adjacent swap as one edit; limit + 1 once it exceeds limit.

    (Optimal string alignment, as pyspellchecker's and SymSpell's edits count.)
    """
    if a == b:
        return 0
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    # Typos are local: strip what the words share at both ends, then compare what is left.
    start = 0
    end_a, end_b = len(a), len(b)
    while start < end_a and start < end_b and a[start] == b[start]:
        start += 1
    while end_a > start and end_b > start and a[end_a - 1] == b[end_b - 1]:
        end_a -= 1
        end_b -= 1
    a, b = a[start:end_a], b[start:end_b]
    la, lb = len(a), len(b)
    if la == 0 or lb == 0:
        return min(la + lb, limit + 1)
    if la + lb == 2 or (la == lb == 2 and a[0] == b[1] and a[1] == b[0]):
        return 1 if limit >= 1 else limit + 1  # one substitution or one swap
    if limit <= 1:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(lb + 1))
    for i in range(1, la + 1):
        char = a[i - 1]
        current = [i] + [0] * lb
        row_best = i
        for j in range(1, lb + 1):
            other = b[j - 1]
            value = previous[j - 1] if char == other else previous[j - 1] + 1
            if previous[j] + 1 < value:
                value = previous[j] + 1
            if current[j - 1] + 1 < value:
                value = current[j - 1] + 1
            if i > 1 and j > 1 and char == b[j - 2] and a[i - 2] == other \
                    and previous2[j - 2] + 1 < value:
                value = previous2[j - 2] + 1
            current[j] = value
            if value < row_best:
                row_best = value
        if row_best > limit:
            return limit + 1
        previous2, previous = previous, current
    return min(previous[lb], limit + 1)


def _deletes(stem: str) -> set[str]:
    """Every string left by deleting one or two letters of stem."""
    # combinations() keeps letter order, and joining its tuples runs in C: 3x faster than
    # slicing the stem in a Python loop, which matters at 2 million deletes per language.
    n = len(stem)
    out = set(map("".join, combinations(stem, n - 1)))
    if n > 1:
        out.update(map("".join, combinations(stem, n - 2)))
    return out
