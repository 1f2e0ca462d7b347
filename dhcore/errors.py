"""Error types that carry what a user needs to fix the problem.

Exit codes used by the CLI: 2 for bad input found before any work (validation),
1 for a production that started and failed.
"""

from __future__ import annotations


class DhError(Exception):
    """Base class: the message is meant for the person running dh."""


class InputError(DhError):
    """Bad input discovered while a stage runs (no person, no frames, no face...).

    Never retried: running again cannot fix the input.
    """


class ModelError(DhError):
    """A model file is missing, corrupt or has the wrong shape. Never retried."""


class TransientError(DhError):
    """A failure that may succeed on retry (a busy database, a flaky file system)."""
