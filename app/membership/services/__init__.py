"""Member lifecycle services, split by responsibility: access, development, reminders, transfers, cards."""
