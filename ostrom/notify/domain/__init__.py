"""Notification rules as plain functions: SMS text and commands, webhook signatures, retries, quiet hours.
No database, no requests."""
