"""Public JSON API of the results platform (django-ninja), mounted at /api/v1/public/.

Everything here comes from the public projection (eplus.results.public), like the pages.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import List, Optional

from django.http import Http404
from django.utils.translation import ngettext
from ninja import Query, Router, Schema, Status

from eplus.core.ratelimit import rate_limited
from eplus.core.replica import reads_replica

from . import public
from .query import MAX_QUERY_LENGTH, QueryTooLong
from .search import search

router = Router(tags=["results"])


class OrganisationOut(Schema):
    role: str
    oid: str
    name: str
    type: str
    address: str
    region: str
    country: str
    website: str


class FileOut(Schema):
    id: int
    name: str
    size: int
    sha256: str
    content_type: str


class ResultOut(Schema):
    id: int
    title: str
    type: str
    description: str
    link: str
    published_at: Optional[datetime]
    files: List[FileOut]


class ContactOut(Schema):
    name: str
    email: str
    phone: str


class ProjectOut(Schema):
    identifier: str
    title: str
    summary: str
    programme: str
    key_action: str
    action: str
    action_type: str
    sector: str
    call_year: Optional[int]
    start_date: Optional[date]
    end_date: Optional[date]
    eu_grant: Optional[Decimal]
    topics: List[str]
    status: str
    good_practice: bool
    success_story: bool
    website: str
    agency: str
    countries: List[str]
    coordinator: Optional[OrganisationOut]
    partners: List[OrganisationOut]
    url: str


class ProjectDetailOut(ProjectOut):
    results: List[ResultOut]
    contacts: List[ContactOut]
    results_available: bool


class FacetValueOut(Schema):
    value: str
    label: str
    count: int


class ProjectPageOut(Schema):
    count: int
    page: int
    pages: int
    next: Optional[str]
    previous: Optional[str]
    items: List[ProjectOut]
    facets: dict


class ProjectFilters(Schema):
    q: str = ""
    country: str = ""
    action: str = ""
    sector: str = ""
    call_year: Optional[int] = None
    status: str = ""
    result_type: str = ""
    good_practice: str = ""
    success_story: str = ""
    page: int = 1
    page_size: int = 50


class Message(Schema):
    detail: str


# What rate_limited("api") answers over the limit (eplus.core.ratelimit): documented on each limited operation.
RATE_LIMITED = {"responses": {429: {
    "description": "Too many requests from this address in a short time; wait for `Retry-After` seconds.",
    "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}},
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Message"}}}}}}


def _with_url(request, data):
    data["url"] = request.build_absolute_uri(f"/results/p/{data['identifier']}/")
    data.setdefault("coordinator", None)
    return data


@router.get("/projects", response={200: ProjectPageOut, 400: Message}, url_name="public_projects",
            openapi_extra=RATE_LIMITED)
@rate_limited("api")
@reads_replica
def list_projects(request, filters: Query[ProjectFilters]):
    """Public project cards, paginated (page, page_size ≤ 100), with the same search as the search page
    (``q``: words, "phrases", -excluded, OR; accents and case ignored; at most MAX_QUERY_LENGTH = 300
    characters, else 400)
    and its facet filters. Without ``q``: newest call year first."""
    values = filters.dict()
    try:
        page, facets = search(values.pop("q"), values, max(1, values.pop("page")), values.pop("page_size"))
    except QueryTooLong:
        return Status(400, {"detail": ngettext("The search text is too long: it may have at most %(limit)d character.",
                                               "The search text is too long: it may have at most %(limit)d characters.",
                                               MAX_QUERY_LENGTH) % {"limit": MAX_QUERY_LENGTH}})

    def link(number):
        params = request.GET.copy()
        params["page"] = number
        return request.build_absolute_uri("?" + params.urlencode())

    return {
        "count": page.paginator.count,
        "page": page.number,
        "pages": page.paginator.num_pages,
        "next": link(page.number + 1) if page.has_next() else None,
        "previous": link(page.number - 1) if page.has_previous() else None,
        "items": [_with_url(request, public.public_card_dict(card)) for card in page.object_list],
        "facets": {key: [{"value": v.value, "label": v.label, "count": v.count} for v in values_]
                   for key, values_ in facets.items()},
    }


@router.get("/projects/{identifier}", response={200: ProjectDetailOut, 404: Message}, url_name="public_project",
            openapi_extra=RATE_LIMITED)
@rate_limited("api")
@reads_replica
def get_project(request, identifier: str):
    data = public.public_card_page(identifier)
    if data is None:
        raise Http404
    return _with_url(request, data)
