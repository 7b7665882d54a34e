"""What every module of the beneficiary module shares: the refusal a user reads, and today's date."""

from eplus.core import time as clock


class ProjectError(Exception):
    """A refused action; ``str(exc)`` is the message for the user."""


class NotReady(ProjectError):
    """A report that cannot be submitted yet, with the list of what to put right."""

    def __init__(self, message, problems=()):
        super().__init__(message)
        self.problems = list(problems)


def today():
    """Today on the Brussels calendar."""
    return clock.to_brussels(clock.now()).date()
