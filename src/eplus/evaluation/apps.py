from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "eplus.evaluation"
    label = "evaluation"
    verbose_name = _("Assessment and selection")

    def ready(self):
        from eplus.applications.outcomes import register_decision_provider, register_stage_provider
        from eplus.projects.gates import register_approval_blocker, register_submission_listener

        from .final_reports import approval_blocker, reopen_for_new_version
        from .queries import assessment_stage, decision_released

        register_decision_provider(decision_released)
        register_stage_provider(assessment_stage)
        register_approval_blocker(approval_blocker)
        register_submission_listener(reopen_for_new_version)
