"""Why something was not done, in two families that never mix.

`Refused`: the request was understood and said no (a right missing, a booking not
there, a change made meanwhile, a bad file). The message tells the user why in plain
words, and nothing was changed. Pages catch `Refused` alone; the CLI exits 1.

The store's own failures (`store.StoreError`: busy, missing, a newer schema) are not
refusals: the same request may work later. The CLI exits 3 for a busy store.
"""

from __future__ import annotations


class Refused(Exception):
    """Not done, for the reason the message gives; nothing was changed."""


class Forbidden(Refused):
    """The signed-in user may not do this (a right, a viewing period, own bookings)."""


class MissingRight(Forbidden):
    """Refused for a right the user lacks. The message says it in words (its
    description); `right` names it for whoever scripts (the CLI adds the name)."""

    def __init__(self, message: str, right):
        super().__init__(message)
        self.right = right


class SignInRefused(Refused):
    """A wrong login or password, an inactive account, or too many tries: wait
    `retry_after_s` seconds before the next."""

    def __init__(self, message: str, retry_after_s: int = 0):
        super().__init__(message)
        self.retry_after_s = retry_after_s


class NotFound(Refused):
    """What was asked for is not there, or not for this user's eyes."""


class Conflict(Refused):
    """Changed since it was read, done already, or still in use: look again and retry."""
