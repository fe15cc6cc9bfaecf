"""Media a customer sends by MMS, made safe and small enough to show agents in Slack."""
