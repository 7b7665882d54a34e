"""The refusals of the applications app; ``str(exc)`` is the message for the user."""


class ApplicationError(Exception):
    """A refused action; ``str(exc)`` is the message for the user."""


class DeadlineClosed(ApplicationError):
    pass


class NotEligible(ApplicationError):
    def __init__(self, message, problems):
        super().__init__(message)
        self.problems = problems
