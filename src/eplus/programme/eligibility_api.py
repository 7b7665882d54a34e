"""Public eligibility pre-check, mounted at /api/v1/eligibility/ (no log-in; see eplus.api.urls)."""

import json

from django.http import JsonResponse
from django.utils.translation import gettext as _
from ninja import Router

from .eligibility import precheck

router = Router(tags=["eligibility"])

_EXAMPLE = {
    "action": "KA220-VET", "call_year": 2026, "round": 1, "lump_sum": "250000", "start_date": "2026-09-01",
    "duration_months": 24, "submitted_at": "2026-03-05T10:59:59Z",
    "organisations": [
        {"ref": "A", "country": "LV", "role": "applicant", "type": "school-authority", "established_on": "2001-05-04"},
        {"ref": "B", "country": "LT", "role": "partner"},
        {"ref": "C", "country": "UA", "role": "associated-partner"},
    ],
    "work_packages": [{"number": 1, "management": True, "amount": "50000"}, {"number": 2, "amount": "200000"}],
    "priorities": [], "topics": [],
}

_CHECK = {
    "type": "object",
    "properties": {
        "rule": {"type": "string"}, "severity": {"type": "string", "enum": ["error", "warning"]},
        "passed": {"type": ["boolean", "null"]}, "message": {"type": "string"}, "source": {"type": "string"},
    },
}

OPENAPI = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object"}, "example": _EXAMPLE}},
        "description": "The application as far as it is known; absent parts are reported with passed=null.",
    },
    "responses": {
        200: {"description": "The verdict", "content": {"application/json": {"schema": {
            "type": "object",
            "properties": {"eligible": {"type": "boolean"}, "checks": {"type": "array", "items": _CHECK},
                           "call": {"type": "object"}},
        }}}},
        422: {"description": "Bad input: each bad field named", "content": {"application/json": {"schema": {
            "type": "object", "properties": {"errors": {"type": "object", "additionalProperties": {"type": "string"}}},
        }}}},
    },
}


@router.post("/check", auth=None, openapi_extra=OPENAPI, summary="Check an application's eligibility")
def check(request):
    """Runs every eligibility rule of the call (DOMAIN §4–5) on the posted application. `eligible` is false
    exactly when an evaluated error rule fails; a rule whose input is absent has `passed: null`."""
    try:
        payload = json.loads(request.body.decode("utf-8") or "null")
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"errors": {"body": _("Send a valid JSON object.")}}, status=422)
    result = precheck(payload)
    return JsonResponse(result.body, status=result.status)
