"""smsdesk: Slack as an SMS/MMS contact-center agent desktop."""
