"""Every Slack identifier the app answers to, defined once.

Listeners register against these names and the manifest generator reads the same
lists, so the manifest can never promise a command the code does not handle.
"""

# Block Kit action_ids
ACCEPT_OFFER = "interaction.accept"
REJECT_OFFER = "interaction.reject"
MARK_DONE = "interaction.done"
SET_READY = "agent.set_ready"
SET_NOT_READY = "agent.set_not_ready"
OPEN_MEDIA = "media.open"
RETRY_SEND = "reply.retry_send"  # "Retry" on a reply the provider kept failing (message id)

# Agent tools on the interaction card
OPEN_COMPOSE = "interaction.compose"  # button "Reply…"
OPEN_TRANSFER = "interaction.transfer"  # button "Transfer"
CARD_MENU = "interaction.more"  # overflow menu; its option values are the MENU_* below
MENU_CONSULT = "consult"
MENU_NOTE = "note"
MENU_DISPOSITION = "disposition"
MENU_CASE = "case"
MENU_CONTACT = "contact"  # the contact view: information, history, New SMS, Edit, Assign
TRANSFER_TO_CONSULTED = "consult.transfer"  # button in a consultation conversation
RESPONSE_SEARCH = "compose.response"  # external select in the compose modal
COMPOSE_TEXT = "compose.text"  # the reply's text input: keeps the segment count live
CASE_FIELD = "case.value"  # an editable field's input in the case modal
REASSIGN = "interaction.reassign"  # supervisors: on the supervisor card and in /sms-queue
CLAIM = "interaction.claim"  # agents: a waiting text on /sms-queue and Home (interaction id)

# Contact directory (/sms-contact and the contact modal; values "<contact id>:<page or id>")
# "View" on a search result, the recent count on a preview or card: opens the contact modal
VIEW_CONTACT = "contact.view"
CONTACT_OLDER = "contact.older"  # history paging in the contact modal
CONTACT_NEWER = "contact.newer"
CONTACT_TRANSCRIPT = "contact.transcript"  # pushes one interaction's transcript
CONTACT_NEW_SMS = "contact.new_sms"  # contact modal: New SMS to this contact
CONTACT_EDIT = "contact.edit"  # contact modal: pushes the edit form
CONTACT_ASSIGN = "contact.assign"  # contact modal of an unknown number, from a card
HOME_FIND_CONTACT = "home.find_contact"  # Home tab: opens the contact search modal
HOME_NEW_SMS = "home.new_sms"  # Home tab: opens the New SMS modal
CONTACT_SEARCH_INPUT = "contact.search"  # the search modal's input (dispatches on Enter)
ASSIGN_SEARCH = "assign.search"  # external select of directory contacts in the assign modal

# New SMS (outbound): the modal's inputs
NEW_SMS_TO = "new_sms.to"
NEW_SMS_FROM = "new_sms.from"
NEW_SMS_RESPONSE = "new_sms.response"  # external select of standard responses
NEW_SMS_TEXT = "new_sms.text"  # keeps the segment count live

# Spelling check of a held reply, in its prompt and on the Home tab (values "<message id>")
SPELL_SEND_CORRECTED = "spelling.send_corrected"
SPELL_SEND_ANYWAY = "spelling.send_anyway"
SPELL_CANCEL = "spelling.cancel"
# Per flagged word, a select (option values from bot/slack/views/spelling.py word_value)
SPELL_WORD = "spelling.word"  # of a held reply: its prompt, the Home tab
COMPOSE_SPELL_WORD = "compose.spelling_word"  # in the Reply… modal
NEW_SMS_SPELL_WORD = "new_sms.spelling_word"  # in the New SMS modal
# The buttons of prompts posted before per-word choices ("<message id>|<word>"): still
# answered, so a prompt on screen during an upgrade keeps working.
SPELL_IGNORE_ALL = "spelling.ignore_all"
SPELL_ADD_WORD = "spelling.add_word"
SPELLING_TOGGLE = "spelling.toggle"  # Home tab
SPELLING_LANGUAGE = "spelling.language"  # Home tab select

# A reply held for its custom emoji (value "<message id>")
CUSTOM_EMOJI_SEND_WITHOUT = "custom_emoji.send_without"
CUSTOM_EMOJI_CANCEL = "custom_emoji.cancel"

# Modal callback_ids (view_submission)
COMPOSE_VIEW = "compose.submit"
TRANSFER_VIEW = "transfer.submit"
CONSULT_VIEW = "consult.submit"
NOTE_VIEW = "note.submit"
DISPOSITION_VIEW = "disposition.submit"
CASE_VIEW = "case.submit"
REASSIGN_VIEW = "reassign.submit"
CONTACT_VIEW = "contact.modal"  # no submit: read-only
CONTACT_TRANSCRIPT_VIEW = "contact.transcript_modal"
CONTACT_SEARCH_VIEW = "contact.search_modal"  # Search (or Enter) shows the results in it
CONTACT_EDIT_VIEW = "contact_edit.submit"
ASSIGN_VIEW = "assign.submit"  # two steps: pick a contact, then confirm
NEW_SMS_VIEW = "new_sms.submit"
NEW_SMS_REFUSED = "new_sms.refused"  # only explains; no submit

# Admin settings (/sms-admin, the Home tab's Admin button): buttons in the admin modal
HOME_ADMIN = "home.admin"  # Home tab, admins only: opens the admin modal
ADMIN_EDIT = "admin.edit"  # value: which form to push (the ADMIN_FORM_* below)
ADMIN_FORM_DISPOSITIONS = "dispositions"
ADMIN_FORM_TIMEOUTS = "timeouts"
ADMIN_FORM_QUEUE = "queue"  # value "queue:<queue name>"
ADMIN_FORM_RESPONSES = "responses"
ADMIN_FORM_LOG = "log"
ADMIN_FORM_DICTIONARY = "dictionary"  # the corporate dictionary
ADMIN_RESPONSE_EDIT = "admin.response_edit"  # value: response id, or "" to add one
ADMIN_RESPONSE_DELETE = "admin.response_delete"  # value: response id (asks to confirm)
ADMIN_LOG_OLDER = "admin.log_older"  # value: the page to show
ADMIN_LOG_NEWER = "admin.log_newer"
ADMIN_VIEW = "admin.modal"  # no submit: the overview with its Edit buttons
ADMIN_DISPOSITIONS_VIEW = "admin.dispositions"
ADMIN_TIMEOUTS_VIEW = "admin.timeouts"
ADMIN_QUEUE_VIEW = "admin.queue"
ADMIN_RESPONSES_VIEW = "admin.responses"  # no submit: the library with Edit and Delete
ADMIN_RESPONSE_VIEW = "admin.response"
ADMIN_LOG_VIEW = "admin.log"  # no submit: paged
ADMIN_DICTIONARY_VIEW = "admin.dictionary"
ADMIN_PURGE_VIEW = "admin.purge"  # confirm: delete all the workspace's desk data
REPORT_VIEW = "report.modal"  # no submit: /sms-report's numbers and chart

# Slash commands: name -> manifest description and usage hint
COMMAND_READY = "/sms-ready"
COMMAND_NOT_READY = "/sms-notready"
COMMAND_QUEUE = "/sms-queue"
COMMAND_CONTACT = "/sms-contact"
COMMAND_SMS = "/sms"
COMMAND_ADMIN = "/sms-admin"
COMMAND_REPORT = "/sms-report"
SLASH_COMMANDS = {
    COMMAND_READY: ("Go Ready for SMS interactions", ""),
    COMMAND_NOT_READY: ("Go Not Ready for SMS interactions", "[reason]"),
    COMMAND_QUEUE: ("SMS queues: who waits, for how long, which agents are Ready", ""),
    COMMAND_CONTACT: ("Find an SMS contact by name, number or e-mail", "name, number or e-mail"),
    COMMAND_SMS: ("Send a new SMS to a number or a contact (or: /sms help)",
                  "[number or contact name] [message] | help"),
    # Every word /sms-admin takes is in its hint: Slack's autocomplete is how admins find them.
    COMMAND_ADMIN: ("Admins: disposition codes, responses, corporate dictionary, queue "
                    "members, timeouts, change log",
                    "[log | export NUMBER | erase NUMBER | purge | help]"),
    COMMAND_REPORT: ("Supervisors: texts, waits, first responses and agents, with a chart",
                     "[today | yesterday | week | month] [queue]"),
}

# Global shortcuts: callback_id -> (name, description) for the manifest
SHORTCUT_NEW_SMS = "smsdesk.new_sms"
GLOBAL_SHORTCUTS = {
    SHORTCUT_NEW_SMS: ("New SMS", "Text a customer: a number or a contact from the directory"),
}

# Events the app subscribes to (bot events)
BOT_EVENTS = [
    "app_home_opened",
    "message.channels",
    "message.groups",
    "message.im",
    # The workspace is gone (or its tokens are): delete the tokens, schedule the purge.
    "app_uninstalled",
    "tokens_revoked",
]

# OAuth bot scopes, each with the reason it is needed
BOT_SCOPES = {
    "chat:write": "post previews, interaction cards and transcript lines",
    "chat:write.customize": "post a customer's messages under the contact's name",
    "channels:history": "read agent replies in desk-channel threads (public channel)",
    "groups:history": "read agent replies in desk-channel threads (private channel)",
    "im:history": "read agent replies in interaction threads in their DM with the app "
                  "(queues with threads = \"dm\")",
    "channels:join": "join the configured public desk channel on first use",
    "channels:read": "check that the desk channel exists and the app is in it (doctor, "
                     "/readyz)",
    "groups:read": "the same check for a private desk channel",
    "commands": "/sms, /sms-ready, /sms-notready, /sms-queue, /sms-contact and /sms-admin; "
                "the New SMS shortcut",
    "reactions:write": "show delivery state on the agent's relayed message, and a pencil "
                       "on a reply held for their decision",
    "users:read": "turn @mentions into names before text goes to a phone",
    "files:write": "show MMS pictures from customers as thumbnails in the thread",
    "im:write": "find an agent's DM with the app to read back a post an interrupted job may "
                "have made (so it is not posted twice)",
    "mpim:write": "open a consultation conversation between two agents and the app",
    "usergroups:read": "read the members of the user groups the settings name (queue "
                       "members, supervisors, admins)",
}
