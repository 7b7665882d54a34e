"""Temporary re-exports: the verbs of organisations now live in queries.py (reading, search, duplicates),
registration.py (drafts, OID, registration) and members.py (invitations, roles, the members' e-mail)."""

# re-export for other apps until their imports are updated (issue 10)
from .members import (  # noqa: F401
    InvitationError, MembershipError, accept_invitation, change_role, get_invitation, invite_member,
    notify_members, remove_member,
)
from .queries import (  # noqa: F401
    DUPLICATE_NAME_CUTOFF, SEARCH_LIMIT, SEARCH_NAME_CUTOFF, Duplicate, find_duplicates, memberships_for,
    search_organisations,
)
from .registration import (  # noqa: F401
    OID_ATTEMPTS, REQUIRED_FIELDS, DuplicateOrganisation, complete_registration, draft_cutoff, draft_expires_at,
    drafts_for, issue_oid, new_oid_candidate, purge_expired_drafts, save_draft_step, validate_registration,
)
