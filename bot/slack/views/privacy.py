"""Block Kit for contact export and erasure: the erase confirmation modal, the erasure
report DM, and the answers to `/sms-admin export|erase CONTACT`. Pure functions; a contact's
name (customer-supplied) passes through `escape` before it reaches mrkdwn."""

from __future__ import annotations

from bot.desk.data_protection.erasure import ErasurePlan, ErasureReport
from bot.desk.data_protection.privacy import CANDIDATES_SHOWN, Resolved
from bot.desk.phone import display
from bot.slack.mrkdwn import escape
from bot.slack.views.common import clip

ERASE_VIEW = "privacy.erase"  # callback_id of the confirmation modal
EXPORT_USAGE = "Usage: `/sms-admin export NUMBER_OR_ID` (a phone number in any format, or #12)."
ERASE_USAGE = "Usage: `/sms-admin erase NUMBER_OR_ID` (a phone number in any format, or #12)."
MAX_REPORT_LINES = 30


def _label(name: str | None, phone: str) -> str:
    shown = display(phone) if phone.startswith("+") else "(number erased)"
    return f"{escape(clip(name, 80))} ({shown})" if name else shown


def resolution_problem(query: str, resolved: Resolved) -> str | None:
    """The slash command's answer when CONTACT is not exactly one contact (mrkdwn)."""
    if resolved.contact is not None:
        return None
    if not resolved.candidates:
        return (f"No contact matches “{escape(clip(query, 80))}”. Give a phone number (any "
                "format) or a contact id (#12).")
    lines = [f"• #{c.contact_id} {_label(c.name, c.phone)}"
             for c in resolved.candidates[:CANDIDATES_SHOWN]]
    more = len(resolved.candidates) > CANDIDATES_SHOWN
    return ("Several contacts match; give the full number or the contact id:\n"
            + "\n".join(lines) + ("\n…and more." if more else ""))


def export_started(contact_id: int) -> str:
    return (f"Exporting contact #{contact_id}: the JSON file will arrive in your DM with the "
            "app in a moment.")


def export_comment(contact_id: int) -> str:
    return (f"The data the SMS desk holds about contact #{contact_id}, as JSON (contact, "
            "numbers, interactions, transcripts, notes, timeline, media list). It contains "
            "personal data: keep it only as long as the request needs.")


def _counted(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def build_erase_confirmation(plan: ErasurePlan) -> dict:
    how = ("deleted" if plan.mode == "delete" else
           "anonymised (the rows stay for counts; names, numbers, texts and files are removed)")
    goes = [
        _counted(plan.numbers, "phone number"),
        _counted(plan.interactions, "interaction"),
        _counted(plan.messages, "message") + " (the transcripts)",
        _counted(plan.notes, "note"),
        _counted(plan.media_files, "media file"),
    ]
    elsewhere = [
        _counted(plan.slack_messages, "Slack message") + " the app posted (previews, cards, "
        "thread lines), and any files it shared in those threads",
        _counted(plan.provider_messages, "message") + " kept by the SMS provider (and their "
        "media)",
    ]
    if plan.export_files:
        elsewhere.append(_counted(plan.export_files, "export file") + " sent to a DM")
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": (
            f"*Erase contact #{plan.contact_id}: {_label(plan.name, plan.phone)}*\n"
            f"This cannot be undone. From the desk's database, {how}:\n"
            + "\n".join(f"• {line}" for line in goes))}},
        {"type": "section", "text": {"type": "mrkdwn", "text": (
            "*Deleted elsewhere* (paced, in the background):\n"
            + "\n".join(f"• {line}" for line in elsewhere))}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": (
            (f"{_counted(plan.opt_outs, 'opt-out')} (STOP) stay, as a keyed hash of the "
             "number only: it is still never texted. " if plan.opt_outs else "")
            + "You get a DM with what was removed, and anything that could not be.")}]},
    ]
    return {
        "type": "modal", "callback_id": ERASE_VIEW, "private_metadata": str(plan.contact_id),
        "title": {"type": "plain_text", "text": "Erase contact"},
        "submit": {"type": "plain_text", "text": "Erase"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }


def erasure_started_modal(contact_id: int, steps: int) -> dict:
    return {
        "type": "modal", "title": {"type": "plain_text", "text": "Erase contact"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": (
            f"Contact #{contact_id} was erased from the desk's database. "
            f"{_counted(steps, 'deletion')} in Slack and at the SMS provider follow; you "
            "get a DM when they are done.")}}],
    }


def contact_of(view: dict) -> int | None:
    value = (view.get("private_metadata") or "").strip()
    return int(value) if value.isdigit() else None


_REMOVED = (("numbers", "phone number"), ("interactions", "interaction"),
            ("messages", "message"), ("notes", "note"), ("media_files", "media file"),
            ("timeline_events", "timeline event"))


def build_erasure_report(report: ErasureReport) -> dict:
    verb = "deleted" if report.mode == "delete" else "anonymised"
    removed = ", ".join(_counted(report.removed.get(key, 0), what) for key, what in _REMOVED)
    lines = [f"*Contact #{report.contact_id} was erased* ({verb}).",
             f"From the database: the contact record, {removed}."]
    hashed = report.removed.get("opt_outs_kept_as_hash", 0)
    if hashed:
        lines.append(f"{_counted(hashed, 'opt-out')} kept as a hash of the number, so it is "
                     "still never texted.")
    lines.append(
        f"Slack: {_counted(report.deleted.get('slack_message', 0), 'message')} deleted"
        + (f", {_counted(report.deleted['slack_file'], 'export file')} deleted"
           if report.deleted.get("slack_file") else "")
        + (f", {report.swept_lines} more thread lines and {_counted(report.swept_files, 'file')}"
           " found in the threads" if report.swept_lines or report.swept_files else "")
        + f". SMS provider: {_counted(report.deleted.get('provider_message', 0), 'message')}"
          " deleted.")
    text = "\n".join(lines)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    if report.not_removed:
        shown = [f"• {escape(line)}" for line in report.not_removed[:MAX_REPORT_LINES]]
        if len(report.not_removed) > MAX_REPORT_LINES:
            shown.append(f"• …and {len(report.not_removed) - MAX_REPORT_LINES} more")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": clip(
            "*Could not be removed:*\n" + "\n".join(shown), 2900)}})
    else:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
                       "Everything the app had posted or sent was removed."}]})
    return {"text": f"Contact #{report.contact_id} was erased.", "blocks": blocks}
