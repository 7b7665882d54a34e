"""Organisations' periodic housekeeping (run by ``./run manage sweep``): purge expired drafts."""

from .registration import purge_expired_drafts


def sweep(now):
    """Delete registration drafts not edited for ORGANISATION_DRAFT_RETENTION_DAYS. Idempotent."""
    return {"drafts_purged": purge_expired_drafts(now)}
