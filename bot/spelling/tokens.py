"""Finding the words worth spell-checking in an agent's reply, with their offsets.

Everything that is not prose is blanked out first (replaced by spaces of the same length, so
offsets into the blanked copy are offsets into the agent's text): Slack markup, code, URLs,
e-mail addresses, @mentions, :emoji_codes:, HTML entities, dotted abbreviations. Then the
remaining runs of letters are cut into words; runs with a digit in them (order and ticket
codes, amounts, times such as 10am, phone numbers) are never words.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import regex

APOSTROPHES = "'\u2019"  # ' and ’: phones and Slack clients turn one into the other
HYPHENS = "-\u2010"  # hyphen-minus and the Unicode hyphen

# Letters, combining marks (decomposed accents, Arabic and Persian vowel signs), digits (only
# so that a code like A12B stays one run and is dropped whole) and the joiners Persian
# writes inside words. Underscores join too, so snake_case identifiers stay whole.
_RUN_CHAR = r"[\p{L}\p{M}\p{N}_\u200c\u200d]"
_JOINERS = regex.escape(APOSTROPHES + HYPHENS)
_RUN = regex.compile(rf"{_RUN_CHAR}+(?:[{_JOINERS}]{_RUN_CHAR}+)*")

# Top-level domains that make a bare "name.tld" a web address. A list rather than "any
# letters" so that a missing space after a full stop ("today.Thanks") mostly stays two
# words to check.
_TLDS = (
    "com|net|org|edu|gov|mil|int|info|biz|io|co|ai|app|dev|me|ly|gl|tv|us|uk|ca|au|nz|ie|de|"
    "fr|es|it|nl|be|ch|at|pt|br|mx|ar|cl|ru|pl|se|no|dk|fi|jp|cn|in|za|eu|shop|store|online|"
    "site|xyz|link|page|help|support|news|blog|email|cloud|tech|ws|to|fm|gg|im|so"
)

# Order matters: code first (nothing inside it is prose), then Slack's <...> markup, then
# addresses before the @mention rule so an e-mail address is not half a mention.
_CODE = regex.compile(r"```.*?```|`[^`\n]+`", regex.DOTALL)
_SLACK_MARKUP = regex.compile(r"<([^<>|\n]*)(\|[^<>\n]*)?>")
_ENTITY = regex.compile(r"&(?:[a-zA-Z]{2,8}|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});")
_URL = regex.compile(r"(?:\b[a-zA-Z][a-zA-Z0-9+.\-]*://|\bwww\.)\S+", regex.IGNORECASE)
_EMAIL = regex.compile(r"[\p{L}\p{N}._%+\-]+@[\p{L}\p{N}\-]+(?:\.[\p{L}\p{N}\-]+)+")
_DOMAIN = regex.compile(
    rf"(?<![\p{{L}}\p{{N}}@.\-])(?:[\p{{L}}\p{{N}}](?:[\p{{L}}\p{{N}}\-]*[\p{{L}}\p{{N}}])?\.)+"
    rf"(?:{_TLDS})(?![\p{{L}}\p{{N}}\-])(?:[/?#]\S*)?",
    regex.IGNORECASE,
)
_MENTION = regex.compile(r"(?<![\p{L}\p{N}])[@#][\p{L}\p{N}_.\-]+")
_EMOJI_CODE = regex.compile(r":[a-z0-9_+\-']+:(?::skin-tone-[2-6]:)?")
_ABBREVIATION = regex.compile(r"(?<![\p{L}\p{N}])(?:\p{L}\.){2,}")

_BLANKERS = (_ENTITY, _URL, _EMAIL, _DOMAIN, _MENTION, _EMOJI_CODE, _ABBREVIATION)


@dataclass(frozen=True)
class Word:
    """A run of letters to check: text[start:end] of the agent's text."""

    text: str
    start: int
    end: int

    def parts(self) -> tuple[Word, ...]:
        """The hyphen-separated pieces of a compound (follow-up: follow, up)."""
        pieces: list[Word] = []
        begin = 0
        for i, char in enumerate(self.text + "-"):
            if char in HYPHENS:
                pieces.append(Word(self.text[begin:i], self.start + begin, self.start + i))
                begin = i + 1
        return tuple(pieces)


def blank(text: str) -> str:
    """The text with everything that is not prose replaced by spaces (same length)."""
    text = _CODE.sub(_spaces, text)
    text = _SLACK_MARKUP.sub(_blank_markup, text)
    for pattern in _BLANKERS:
        text = pattern.sub(_spaces, text)
    return text


def words(text: str) -> Iterator[Word]:
    """The words of the text worth checking, in order, with offsets into the text itself."""
    for match in _RUN.finditer(blank(text)):
        run = match.group()
        if any(char.isdigit() for char in run):
            continue  # codes, amounts, times, phone numbers: 10am, A12-B, 1-800-FLOWERS
        start, end = match.span()
        # Slack's _italics_ wrap a word in underscores; an underscore inside is an identifier.
        while run.startswith("_"):
            run, start = run[1:], start + 1
        while run.endswith("_"):
            run, end = run[:-1], end - 1
        if not run or "_" in run:
            continue
        yield Word(text[start:end], start, end)


def _spaces(match: regex.Match) -> str:
    return " " * len(match.group())


def _blank_markup(match: regex.Match) -> str:
    """<@U123>, <#C1|general>, <!here>: all blank. <https://x|label>: only the label stays."""
    target, label = match.group(1), match.group(2)
    if label is None or target[:1] in "@#!":
        return _spaces(match)
    return " " * (len(target) + 2) + label[1:] + " "
