"""What admins set from Slack, who may do what, and the log of it."""
