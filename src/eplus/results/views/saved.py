"""Saved searches: save the current search, the list of one's saved searches (open, feed, frequency,
delete), and the unsubscribe page of the digest e-mails (no log-in: a signed token). The rules are in
eplus.results.alerts; who may do what in eplus.results.rules (another user's saved search is a 404)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from eplus.core.permissions import permission_required, public

from .. import alerts
from ..forms import SavedSearchFrequencyForm, SaveSearchForm, SearchForm
from ..models import SavedSearch
from ..rules import own_saved_search, own_saved_searches


def _search_of(data):
    """(query text, filters, SearchForm) of the search carried in ``data`` (the search page's parameters)."""
    search_form = SearchForm(data)
    if not search_form.is_valid():
        return "", {}, search_form
    query, filters = alerts.clean_search(search_form.cleaned_data.get("q", ""), search_form.filters())
    return query, filters, search_form


def _new_context(form, query, filters):
    described = alerts.describe(SavedSearch(query=query, filters=filters))
    return {"form": form, "query": query, "filters": filters, "described": described,
            "search_link": alerts.search_url(SavedSearch(query=query, filters=filters))}


@permission_required("results.save_search")
def saved_new(request):
    data = request.POST if request.method == "POST" else request.GET
    query, filters, search_form = _search_of(data)
    if request.method != "POST":
        form = SaveSearchForm(initial={"name": query[:120] or _("New projects")})
        if not search_form.is_valid():  # e.g. a call year that is not a year: say so rather than save another search
            return render(request, "results/saved/new.html", {**_new_context(form, query, filters),
                                                               "search_invalid": True}, status=400)
        return render(request, "results/saved/new.html", _new_context(form, query, filters))
    form = SaveSearchForm(request.POST)
    if not search_form.is_valid():
        form.add_error(None, _("This search cannot be saved as it is: go back to the search page, correct the "
                               "search and try again."))
    if form.is_valid():
        try:
            saved = alerts.save_search(request.user, form.cleaned_data["name"], query, filters,
                                       form.cleaned_data["frequency"])
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("The search “%(name)s” is saved. We will e-mail you when new projects "
                                        "or results match it.") % {"name": saved.name})
            return redirect("results:saved_list")
    return render(request, "results/saved/new.html", _new_context(form, query, filters), status=400)


def _rows(searches, request, bound=None):
    searches = list(searches)
    names = alerts.country_names(searches)
    rows = []
    for saved in searches:
        form = bound if bound is not None and bound.prefix == f"s{saved.pk}" else SavedSearchFrequencyForm(
            prefix=f"s{saved.pk}", initial={"frequency": saved.frequency})
        rows.append({"saved": saved, "described": alerts.describe(saved, names), "search_link": alerts.search_url(saved),
                     "feed_link": request.build_absolute_uri(alerts.feed_url(saved)), "form": form})
    return rows


@permission_required("results.list_saved_searches")
def saved_list(request):
    searches = own_saved_searches(request.user).order_by("name", "pk")
    return render(request, "results/saved/list.html", {"rows": _rows(searches, request)})


@permission_required("results.manage_saved_search", obj=own_saved_search)
@require_POST
def saved_frequency(request, pk):
    saved = request.permission_object
    form = SavedSearchFrequencyForm(request.POST, prefix=f"s{saved.pk}")
    if not form.is_valid():
        searches = own_saved_searches(request.user).order_by("name", "pk")
        return render(request, "results/saved/list.html", {"rows": _rows(searches, request, form), "error_form": form},
                      status=400)
    alerts.change_frequency(saved, form.cleaned_data["frequency"])
    messages.success(request, _("How often you get e-mails about “%(name)s” is changed.") % {"name": saved.name})
    return redirect("results:saved_list")


@permission_required("results.manage_saved_search", obj=own_saved_search)
@require_POST
def saved_delete(request, pk):
    saved = request.permission_object
    name = saved.name
    alerts.delete_search(saved)
    messages.success(request, _("The saved search “%(name)s” is deleted.") % {"name": name})
    return redirect("results:saved_list")


@public
@csrf_exempt
def unsubscribe(request, token):
    """GET asks to confirm (a mail client or a link scanner that opens the link changes nothing); POST stops
    the saved search's e-mails. No log-in: the token is signed and names the saved search. No CSRF token
    either: a mail client's one-click unsubscribe (RFC 8058) POSTs without one, and the signed token in the
    URL already proves the request came from the e-mail (a forged POST can only unsubscribe)."""
    try:
        saved = alerts.saved_search_from_token(token)
    except alerts.InvalidToken:
        return render(request, "results/saved/unsubscribe_invalid.html", status=400)
    done = False
    if request.method == "POST":
        alerts.unsubscribe(saved)
        done = True
    return render(request, "results/saved/unsubscribe.html", {
        "saved": saved, "done": done, "already": saved.frequency == SavedSearch.Frequency.NEVER and not done})
