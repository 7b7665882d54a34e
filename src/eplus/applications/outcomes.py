"""What happened to an application after submission, as told by the layers above (a small registry).

The agency's decision is kept by the evaluation app, which sits above applications in the layers
(docs/architecture.md). Rather than import it, the applicant's page asks the providers registered
here; the evaluation app registers its own when it starts.
"""

_decision_providers = []


def register_decision_provider(provider):
    """``provider(application) -> bool``: whether a decision on the application has been released."""
    if provider not in _decision_providers:
        _decision_providers.append(provider)
    return provider


def decision_released(application):
    return any(provider(application) for provider in _decision_providers)


_stage_providers = []


def register_stage_provider(provider):
    """``provider(application) -> str | None``: where the agency's assessment of the application stands, as a
    sentence for the applicant (None: not started)."""
    if provider not in _stage_providers:
        _stage_providers.append(provider)
    return provider


def assessment_stage(application):
    return next((stage for stage in (provider(application) for provider in _stage_providers) if stage), None)
