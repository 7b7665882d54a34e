"""Temporary re-exports: the verbs of the results platform now live in modules named for what they do
(publishing.py, editing.py, notify.py, page_cache.py)."""

# re-export for other apps until their imports are updated (issue 10)
from .editing import (  # noqa: F401
    Locked, add_result_file, delete_contact, delete_result, delete_result_file, locked_message, remove_logo,
    save_contact, save_result, set_logo, set_website,
)
from .notify import agency_recipients, coordinator_recipients, send_card_mail  # noqa: F401
from .page_cache import PUBLIC_CACHE_TTL, bump_public_cache, public_cache_version, public_changed, reindex  # noqa: F401
from .publishing import (  # noqa: F401
    CARD_FIELDS, mark_final_report_submitted, mark_project_finalised, organisation_fields, publish_project_card,
    refresh_from_organisation, set_project_status,
)
