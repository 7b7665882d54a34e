"""What must be done elsewhere before the agency approves a final report, as told by the layers above (a small
registry, like ``applications/outcomes.py``).

The experts who assess a final report are kept by the evaluation app, which sits above projects in the layers
(docs/architecture.md). Rather than import it, :func:`eplus.projects.workflow.approve_assessment` asks the
blockers registered here; the evaluation app registers its own when it starts.
"""

_approval_blockers = []


def register_approval_blocker(blocker):
    """``blocker(report) -> str | None``: why the final report cannot be approved yet (None: nothing)."""
    if blocker not in _approval_blockers:
        _approval_blockers.append(blocker)
    return blocker


def approval_blocker(report):
    """The first reason a registered blocker gives, or None."""
    return next((reason for reason in (blocker(report) for blocker in _approval_blockers) if reason), None)


_submission_listeners = []


def register_submission_listener(listener):
    """``listener(report)``: called when the final ``report`` is submitted (a resubmission after an update request
    included), inside the submission's transaction with the report locked and its ``version`` already raised."""
    if listener not in _submission_listeners:
        _submission_listeners.append(listener)
    return listener


def final_report_submitted(report):
    """Tell every registered listener that the final ``report`` has been (re)submitted."""
    for listener in _submission_listeners:
        listener(report)
