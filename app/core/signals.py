"""Signals that cross domain boundaries. Each domain connects its receivers in its own package."""

from blinker import Namespace

hongke_signals = Namespace()

#: Sent with ``user`` (the new account) and ``actor`` when an account is created.
user_created = hongke_signals.signal("user-created")
#: Sent with ``user`` and ``actor`` when an account's branch changes.
user_branch_changed = hongke_signals.signal("user-branch-changed")
