"""Spell checking of agents' replies before they go to a customer's phone.

The desk calls check() on the text an agent is about to send and shows the flags;
apply_suggestions() builds the corrected text from the agent's choices.
"""

from bot.spelling.checker import Flag, apply_suggestions, check, languages, preload

__all__ = ["Flag", "apply_suggestions", "check", "languages", "preload"]
