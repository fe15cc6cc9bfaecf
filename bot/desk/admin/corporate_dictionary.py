"""The corporate dictionary: words the spelling check accepts for every agent (product names,
brands), added and removed by admins from Slack (/sms-admin), each change audited.

The words live in `dictionary_words` under the owner CORPORATE (an agent's own words there
are under their user id). The settings file's `[spelling] corporate_words` count as well,
but are changed only in the file: removing one from Slack is refused with where it is.
Checks read the table each time, so a change applies to the next reply.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from bot.config import Settings
from bot.desk.admin import audit, permissions
from bot.desk.admin.admin_settings import REFUSAL, Outcome
from bot.desk.interactions.spelling import CORPORATE, WORD_LIMIT
from storage.db import Database
from storage.models import DictionaryWord

ADDED = "dictionary.add"  # audit actions
REMOVED = "dictionary.remove"
SUBJECT = "corporate dictionary"
MOST_AT_ONCE = 500  # words one save may add (the form's box holds 3,000 characters)


def words(db: Database, team_id: str) -> list[str]:
    """The words added from Slack, alphabetically."""
    with db.transaction() as s:
        return sorted(s.scalars(select(DictionaryWord.word).where(
            DictionaryWord.team_id == team_id, DictionaryWord.owner == CORPORATE)))


def _cleaned(typed: list[str]) -> list[str]:
    """One entry per line, as the spelling check keeps them (lower case), once each."""
    return list(dict.fromkeys(w.strip().lower() for w in typed if w.strip()))


def _problem_adding(entries: list[str]) -> str | None:
    if len(entries) > MOST_AT_ONCE:
        return f"Add at most {MOST_AT_ONCE} words at a time; this has {len(entries)}."
    for entry in entries:
        if len(entry) > WORD_LIMIT:
            return f"“{entry[:40]}…” is longer than {WORD_LIMIT} characters."
        if not any(char.isalpha() for char in entry):
            return f"“{entry}” has no letters: the spelling check never flags it anyway."
    return None


def change(db: Database, settings: Settings, team_id: str, user_id: str, *,
           add: list[str], remove: list[str]) -> Outcome:
    """Add and remove words (one per entry), for an admin; each side one audit line."""
    try:
        return _change(db, settings, team_id, user_id, add, remove)
    except IntegrityError:  # another admin added one of these words a moment ago
        return Outcome(errors={"add_words": "The dictionary changed meanwhile: save again."})


def _change(db: Database, settings: Settings, team_id: str, user_id: str, add: list[str],
            remove: list[str]) -> Outcome:
    adding, removing = _cleaned(add), _cleaned(remove)
    in_file = {w.strip().lower() for w in settings.corporate_words}
    errors: dict[str, str] = {}
    if problem := _problem_adding(adding):
        errors["add_words"] = problem
    both = sorted(set(adding) & set(removing))
    if both:
        errors["remove_words"] = f"“{both[0]}” is both added and removed: pick one."
    elif from_file := sorted(set(removing) & in_file):
        errors["remove_words"] = (f"“{from_file[0]}” comes from the settings file "
                                  "([spelling] corporate_words): remove it there.")
    with db.transaction() as s:
        if permissions.ADMIN not in permissions.roles_for(s, settings, team_id, user_id):
            return Outcome(refused=REFUSAL)
        current = set(s.scalars(select(DictionaryWord.word).where(
            DictionaryWord.team_id == team_id, DictionaryWord.owner == CORPORATE)))
        missing = [w for w in removing if w not in current and w not in in_file]
        if missing and "remove_words" not in errors:
            errors["remove_words"] = f"“{missing[0]}” is not in the corporate dictionary."
        if errors:
            return Outcome(errors=errors)
        added = [w for w in adding if w not in current and w not in in_file]
        removed = [w for w in removing if w in current]
        for word in added:
            s.add(DictionaryWord(team_id=team_id, owner=CORPORATE, word=word,
                                 added_by=user_id))
        if removed:
            s.execute(delete(DictionaryWord).where(
                DictionaryWord.team_id == team_id, DictionaryWord.owner == CORPORATE,
                DictionaryWord.word.in_(removed)))
        if added:
            audit.record(s, team_id, user_id, ADDED, SUBJECT, old=None, new=sorted(added))
        if removed:
            audit.record(s, team_id, user_id, REMOVED, SUBJECT, old=sorted(removed),
                         new=None)
    return Outcome()
