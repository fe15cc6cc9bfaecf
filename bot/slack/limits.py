"""Slack's limits on what a view may hold, each written once."""

# A static_select shows at most this many options (or option groups); an option's text and
# an option group's label are cut at this many characters.
MAX_SELECT_OPTIONS = 100
MAX_OPTION_TEXT = 75
# A plain_text_input's max_length is at most this (and its initial_value as long).
MAX_INPUT_LENGTH = 3000
