"""Accounts: users, roles, login and throttling, passwords, API tokens, bulk member import."""
