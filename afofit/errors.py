"""One error hierarchy for afofit; the CLI maps each class to its exit code.

Every message says what failed, the offending value, and what to do next.
Core code raises these and never prints or exits.
"""

from __future__ import annotations

__all__ = [
    "AfofitError",
    "AfofitWarning",
    "BatchFailedError",
    "ChecksFailedError",
    "ExportError",
    "FitError",
    "GaitError",
    "InputError",
    "LandmarkError",
    "NotALegError",
    "ProfileError",
    "ScanError",
]


class AfofitError(Exception):
    """Base of every error afofit raises on purpose (a user or data problem, not a bug)."""

    exit_code = 1


class InputError(AfofitError):
    """An input file or option is unusable."""

    exit_code = 3


class ScanError(InputError):
    """The scan file is missing, empty, corrupt or not a triangle mesh."""


class NotALegError(ScanError):
    """The mesh is a valid surface, but not a lower leg with a foot."""

    exit_code = 6


class LandmarkError(InputError):
    """A landmark override file is unreadable or names an unknown landmark."""


class GaitError(InputError):
    """A gait file is unreadable, or lacks what the analysis needs (named in the message)."""


class ProfileError(InputError):
    """A design or material profile is missing a key or holds a bad value."""


class FitError(AfofitError):
    """No feasible shell for the requested design."""

    exit_code = 4


class ExportError(AfofitError):
    """An output could not be written, or is not printable."""

    exit_code = 5


class ChecksFailedError(AfofitError):
    """The brace was built but failed one of its own checks: nothing printable was written."""

    exit_code = 7


class BatchFailedError(AfofitError):
    """A batch ran to its end, but some of its cases failed (its summary says which)."""

    exit_code = 8


class AfofitWarning(UserWarning):
    """Raised as an error in afofit's own tests so no warning goes unnoticed."""
