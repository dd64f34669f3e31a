"""Accounts, organisations, roles per fair, invitations and the permission helper."""
