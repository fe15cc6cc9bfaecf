"""The contact directory: who a number is, what they said before, who may not be texted."""
