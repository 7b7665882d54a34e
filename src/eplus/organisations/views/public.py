"""The organisation pages anyone may open: the search before registering and an organisation's page
(its private data and members only for those ``organisations.view_organisation_private`` allows)."""

from django.shortcuts import get_object_or_404, render

from eplus.core.permissions import public
from eplus.core.ratelimit import rate_limited

from ..forms import InviteForm, PicForm, SearchForm
from ..models import Organisation
from ..queries import search_organisations


@public
@rate_limited("search")
def search(request):
    """Search before registering; works for everyone. Results: name, city, country, OID, status."""
    form = SearchForm(request.GET or None)
    results, searched = [], False
    if form.is_bound and form.is_valid():
        criteria = {k: v for k, v in form.cleaned_data.items() if v}
        if criteria:
            searched = True
            results = search_organisations(**criteria)
    return render(request, "organisations/search.html", {"form": form, "results": results, "searched": searched})


@public
def detail(request, oid):
    """Public data for everyone; members and private data for members and the country's agency staff."""
    organisation = get_object_or_404(Organisation.objects.select_related("country"), oid=oid)
    user = request.user
    can_private = user.has_perm("organisations.view_organisation_private", organisation)
    context = {
        "organisation": organisation,
        "can_private": can_private,
        "can_manage": user.has_perm("organisations.manage_members", organisation),
        "can_change_roles": user.has_perm("organisations.change_member_roles", organisation),
        "can_validate": user.has_perm("organisations.validate_organisation", organisation),
    }
    if can_private:
        context["members"] = organisation.memberships.select_related("user").order_by("role", "user__last_name")
        context["invitations"] = organisation.invitations.filter(accepted_at__isnull=True).select_related("invited_by")
    if context["can_manage"]:
        context["invite_form"] = InviteForm()
        context["pic_form"] = PicForm(initial={"pic": organisation.pic})
    return render(request, "organisations/detail.html", context)
