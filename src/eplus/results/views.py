"""Results platform pages. Thin: parse input, check permission (404 when refused), call a service, render.

Public pages render their main content from the public projection only and cache it (keyed on the
path, the query and the language; every publish event invalidates all of it).
"""

import hashlib
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Min, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from eplus.programme.scoping import is_agency_staff

from . import public, search as search_module, services, workflow
from .forms import (
    ApproveForm, ContactForm, FileForm, LogoForm, PartnerSearchForm, ResultForm, ResultWithFileForm, ReturnForm,
    SearchForm, WebsiteForm,
)
from .models import ProjectCard, ResultFile, ResultsStatus
from .rules import editable_cards, is_card_agency_staff, is_card_manager, is_commission, reviewable_cards
from .uploads import LimitedUploadHandler, too_large_message

OID_RE = re.compile(r"^E\d{8}$")


# --- caching of public page bodies ------------------------------------------------------------

def _cached(request, name, build):
    """``build()`` → dict (with "body" rendered HTML) cached per path, query string and language."""
    digest = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]
    key = f"results:page:{services.public_cache_version()}:{get_language()}:{name}:{digest}"
    data = cache.get(key)
    if data is None:
        data = build()
        cache.set(key, data, services.PUBLIC_CACHE_TTL)
    return {**data, "body": mark_safe(data["body"])}


def _page_numbers(page):
    return {"has_previous": page.has_previous(), "has_next": page.has_next(), "number": page.number,
            "num_pages": page.paginator.num_pages, "count": page.paginator.count}


def _with_page(request, number):
    params = request.GET.copy()
    params["page"] = number
    return "?" + params.urlencode()


# --- public pages --------------------------------------------------------------------------------

def search_page(request):
    def build():
        form = SearchForm(request.GET or None)
        query = form.cleaned_data.get("q", "") if form.is_valid() else ""
        filters = form.filters() if form.is_bound else {}
        page_number = (form.cleaned_data.get("page") if form.is_valid() else None) or 1
        page, facets = search_module.search(query, filters, page_number)
        cards = [public.public_card_dict(card) for card in page.object_list]
        facet_groups = []
        for key in search_module.FACETS:
            values = []
            for value in facets[key]:
                params = {k: v for k, v in request.GET.items() if k != "page"}
                if value.selected:
                    params.pop(key, None)
                else:
                    params[key] = value.value
                values.append({"value": value, "url": "?" + urlencode(params)})
            facet_groups.append({"key": key, "label": search_module.FACET_LABELS[key], "values": values})
        body = render_to_string("results/_search_body.html", {
            "form": form, "cards": cards, "facet_groups": facet_groups, "paging": _page_numbers(page),
            "previous_url": _with_page(request, page.number - 1) if page.has_previous() else "",
            "next_url": _with_page(request, page.number + 1) if page.has_next() else "",
            "query": query, "filters": filters,
            "export_query": urlencode([(k, v) for k, v in request.GET.items() if k != "page"]),
        })
        return {"body": body}

    return render(request, "results/public_page.html", {**_cached(request, "search", build),
                                                        "title": _("Project results")})


def project_page(request, identifier):
    def build():
        card = get_object_or_404(public.public_cards(with_details=True), identifier=identifier)
        data = public.public_card_dict(card, detail=True)
        body = render_to_string("results/_project_body.html", {"card": data, "card_obj": card})
        return {"body": body, "title": card.title}

    context = _cached(request, f"project:{identifier}", build)
    if request.user.is_authenticated:
        card = ProjectCard.objects.filter(identifier=identifier).select_related("coordinator").first()
        if card is not None:
            context.update(
                card_obj=card,
                can_edit=is_card_manager(request.user, card),
                can_review=is_card_agency_staff(request.user, card),
                can_flag_success=is_commission(request.user) and card.is_finalised,
            )
    return render(request, "results/project.html", context)


def result_page(request, identifier, result_id):
    def build():
        result = get_object_or_404(public.public_results_qs().select_related("card").prefetch_related("files"),
                                   pk=result_id, card__identifier=identifier)
        body = render_to_string("results/_result_body.html", {
            "result": public.public_result_dict(result), "result_obj": result, "card": result.card})
        return {"body": body, "title": result.title}

    return render(request, "results/public_page.html", _cached(request, f"result:{identifier}:{result_id}", build))


def organisation_page(request, key):
    def build():
        entries = public.public_organisations()
        if OID_RE.match(key):
            entry = entries.filter(oid=key).order_by("-card__published_at", "pk").first()
            if entry is None:
                raise Http404
            same = Q(organisations__oid=key)
        else:
            if not key.isdigit():
                raise Http404
            entry = get_object_or_404(entries, pk=int(key))
            same = (Q(organisations__oid=entry.oid) if entry.oid
                    else Q(organisations__name=entry.name, organisations__country=entry.country))
        cards_qs = public.public_cards().filter(same).distinct().order_by("-call_year", "identifier")
        paginator = Paginator(cards_qs, 50)
        page = paginator.get_page(request.GET.get("page") or 1)
        cards = [public.public_card_dict(card) for card in page.object_list]
        country = search_module._country_names([entry.country]).get(entry.country, entry.country)
        body = render_to_string("results/_organisation_body.html", {
            "entry": entry, "country_name": country, "cards": cards, "paging": _page_numbers(page),
            "previous_url": _with_page(request, page.number - 1) if page.has_previous() else "",
            "next_url": _with_page(request, page.number + 1) if page.has_next() else "",
        })
        return {"body": body, "title": entry.name}

    return render(request, "results/public_page.html", _cached(request, f"organisation:{key}", build))


def partner_search(request):
    def build():
        from eplus.programme.models import Country

        countries = list(Country.objects.order_by("name").values_list("code", "name"))
        form = PartnerSearchForm(request.GET or None, countries=countries)
        rows, paging, prev_url, next_url, searched = [], None, "", "", False
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            qs = public.public_organisations()
            if data.get("q"):
                qs = qs.filter(name__icontains=data["q"])
            if data.get("country"):
                qs = qs.filter(country=data["country"])
            if data.get("sector"):
                qs = qs.filter(card__sector=data["sector"])
            if data.get("topic"):
                qs = qs.filter(card__topics_text__icontains=data["topic"])
            searched = True
            grouped = (qs.values("oid", "name", "country", "organisation_type")
                       .annotate(projects=Count("card", distinct=True), first_id=Min("pk"))
                       .order_by("-projects", "name", "country"))
            page = Paginator(grouped, 25).get_page(data.get("page") or 1)
            names = dict(countries)
            rows = [{**row, "country_name": names.get(row["country"], row["country"]),
                     "key": row["oid"] or str(row["first_id"])} for row in page.object_list]
            paging = _page_numbers(page)
            prev_url = _with_page(request, page.number - 1) if page.has_previous() else ""
            next_url = _with_page(request, page.number + 1) if page.has_next() else ""
        body = render_to_string("results/_partners_body.html", {
            "form": form, "rows": rows, "paging": paging, "searched": searched,
            "previous_url": prev_url, "next_url": next_url,
        })
        return {"body": body}

    return render(request, "results/public_page.html", {**_cached(request, "partners", build),
                                                        "title": _("Find partners")})


def logo(request, identifier, kind):
    card = get_object_or_404(public.public_cards(), identifier=identifier)
    field = card.logo_thumbnail if kind == "thumbnail" else card.logo
    if not field:
        raise Http404
    response = FileResponse(field.open("rb"))
    response["Cache-Control"] = "public, max-age=300"
    return response


def download(request, file_id):
    """A result file: public files for everyone; otherwise only the card's managers and agency staff."""
    record = public.public_files_qs().select_related("result__card").filter(pk=file_id).first()
    if record is None:
        record = get_object_or_404(ResultFile.objects.select_related("result__card__coordinator"), pk=file_id)
        card = record.result.card
        if not (is_card_manager(request.user, card) or is_card_agency_staff(request.user, card)):
            raise Http404
    response = FileResponse(record.file.open("rb"), as_attachment=True, filename=record.original_name,
                            content_type=record.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- beneficiary pages ----------------------------------------------------------------------------

def _editable(request, identifier):
    return get_object_or_404(editable_cards(request.user).select_related("coordinator", "agency"),
                             identifier=identifier)


@login_required
def mine(request):
    cards = editable_cards(request.user).select_related("agency").order_by("-call_year", "identifier")
    return render(request, "results/mine.html", {"cards": cards})


def _edit_context(card, **forms):
    results = list(card.results.prefetch_related("files").order_by("created_at", "pk"))
    contacts = list(card.contacts.order_by("name", "pk"))
    context = {
        "card": card,
        "results": results,
        "contacts": contacts,
        "has_published_contact": any(c.published for c in contacts),
        "events": list(card.review_events.select_related("actor").order_by("-created_at", "-pk")),
        "website_form": WebsiteForm(initial={"website": card.website}),
        "logo_form": LogoForm(),
        "contact_form": ContactForm(),
        "result_form": ResultWithFileForm(initial={"public": True}),
        "submission_problems": workflow.submission_problems(card),
        "results_editable": card.results_status not in (ResultsStatus.UNDER_REVIEW, ResultsStatus.APPROVED),
        "organisations": list(card.organisations.order_by("order", "pk")),
    }
    context.update(forms)
    return context


@login_required
def edit(request, identifier):
    card = _editable(request, identifier)
    return render(request, "results/edit.html", _edit_context(card))


def _locked_redirect(request, card, exc):
    messages.error(request, str(exc))
    return redirect("results:edit", card.identifier)


@login_required
@require_POST
def set_website(request, identifier):
    card = _editable(request, identifier)
    form = WebsiteForm(request.POST)
    if not form.is_valid():
        return render(request, "results/edit.html", _edit_context(card, website_form=form), status=400)
    try:
        services.set_website(card, form.cleaned_data["website"], request.user)
    except services.Locked as exc:
        return _locked_redirect(request, card, exc)
    messages.success(request, _("The project website is saved. It is public now."))
    return redirect("results:edit", card.identifier)


@login_required
@require_POST
def set_logo(request, identifier):
    card = _editable(request, identifier)
    form = LogoForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["logo"]
        try:
            services.set_logo(card, upload, upload.name, request.user)
        except services.Locked as exc:
            return _locked_redirect(request, card, exc)
        except ValidationError as exc:
            form.add_error("logo", exc.messages)
        else:
            messages.success(request, _("The logo is saved and its thumbnail made."))
            return redirect("results:edit", card.identifier)
    return render(request, "results/edit.html", _edit_context(card, logo_form=form), status=400)


@login_required
def contact(request, identifier, contact_id=None):
    card = _editable(request, identifier)
    existing = get_object_or_404(card.contacts, pk=contact_id) if contact_id else None
    if request.method == "POST":
        if request.POST.get("action") == "delete" and existing:
            try:
                services.delete_contact(existing, request.user)
            except services.Locked as exc:
                return _locked_redirect(request, card, exc)
            messages.success(request, _("The contact person is removed."))
            return redirect("results:edit", card.identifier)
        form = ContactForm(request.POST)
        if form.is_valid():
            try:
                services.save_contact(card, request.user, contact=existing, **form.cleaned_data)
            except services.Locked as exc:
                return _locked_redirect(request, card, exc)
            messages.success(request, _("The contact person is saved."))
            return redirect("results:edit", card.identifier)
        if existing is None:
            return render(request, "results/edit.html", _edit_context(card, contact_form=form), status=400)
    else:
        form = ContactForm(initial={"name": existing.name, "email": existing.email, "phone": existing.phone,
                                    "published": existing.published}) if existing else ContactForm()
    return render(request, "results/contact_form.html", {"card": card, "form": form, "contact": existing})


def _take_upload_handlers(request):
    """Stream uploads to disk with the 100 MB limit (must run before request.POST is read)."""
    request.upload_handlers = [LimitedUploadHandler(request)]


def _too_large(request):
    names = getattr(request, "results_too_large", None) or []
    return [too_large_message(name) for name in names]


@csrf_exempt
def result_form(request, identifier, result_id=None):
    if request.method == "POST":
        _take_upload_handlers(request)
    return _result_form(request, identifier, result_id)


@csrf_protect
@login_required
def _result_form(request, identifier, result_id):
    card = _editable(request, identifier)
    existing = get_object_or_404(card.results, pk=result_id) if result_id else None
    form_class = ResultForm if existing else ResultWithFileForm
    if request.method == "POST":
        if request.POST.get("action") == "delete" and existing:
            try:
                services.delete_result(existing, request.user)
            except services.Locked as exc:
                return _locked_redirect(request, card, exc)
            messages.success(request, _("The result is deleted."))
            return redirect("results:edit", card.identifier)
        form = form_class(request.POST, request.FILES)
        for message in _too_large(request):
            form.add_error("file" if "file" in form.fields else None, message)
        if form.is_valid():
            data = form.cleaned_data
            upload = data.get("file")
            try:
                if upload is not None:  # check the file before creating anything
                    from eplus.core.files import check_content

                    from .uploads import HEAD

                    upload.seek(0)
                    check_content(upload.read(HEAD), upload.name)
                result = services.save_result(
                    card, request.user, result=existing, title=data["title"], result_type=data["result_type"],
                    description_en=data["description_en"], link=data["link"], public_flag=data["public"])
                if upload is not None:
                    services.add_result_file(result, upload, upload.name, request.user)
            except services.Locked as exc:
                return _locked_redirect(request, card, exc)
            except ValidationError as exc:
                form.add_error("file" if "file" in form.fields else None, exc.messages)
            else:
                messages.success(request, _("The result is saved."))
                return redirect("results:edit", card.identifier)
        status = 400
    else:
        status = 200
        form = form_class(initial={
            "title": existing.title, "result_type": existing.result_type, "description_en": existing.description_en,
            "link": existing.link, "public": existing.public} if existing else {"public": True})
    return render(request, "results/result_form.html", {
        "card": card, "form": form, "result": existing, "file_form": FileForm(),
        "files": list(existing.files.all()) if existing else [],
    }, status=status)


@csrf_exempt
def add_file(request, identifier, result_id):
    if request.method == "POST":
        _take_upload_handlers(request)
    return _add_file(request, identifier, result_id)


@csrf_protect
@login_required
@require_POST
def _add_file(request, identifier, result_id):
    card = _editable(request, identifier)
    result = get_object_or_404(card.results, pk=result_id)
    form = FileForm(request.POST, request.FILES)
    for message in _too_large(request):
        form.add_error("file", message)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            services.add_result_file(result, upload, upload.name, request.user)
        except services.Locked as exc:
            return _locked_redirect(request, card, exc)
        except ValidationError as exc:
            form.add_error("file", exc.messages)
        else:
            messages.success(request, _("The file is added."))
            return redirect("results:result_edit", card.identifier, result.pk)
    return render(request, "results/result_form.html", {
        "card": card, "form": ResultForm(initial={
            "title": result.title, "result_type": result.result_type, "description_en": result.description_en,
            "link": result.link, "public": result.public}),
        "result": result, "file_form": form, "files": list(result.files.all())}, status=400)


@login_required
@require_POST
def delete_file(request, identifier, file_id):
    card = _editable(request, identifier)
    record = get_object_or_404(ResultFile.objects.filter(result__card=card), pk=file_id)
    try:
        services.delete_result_file(record, request.user)
    except services.Locked as exc:
        return _locked_redirect(request, card, exc)
    messages.success(request, _("The file is deleted."))
    return redirect("results:result_edit", card.identifier, record.result_id)


@login_required
@require_POST
def submit(request, identifier):
    card = _editable(request, identifier)
    try:
        workflow.submit_for_review(card, request.user)
    except workflow.TransitionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The results are submitted for review. The National Agency will approve them "
                                    "or return them to you with comments."))
    return redirect("results:edit", card.identifier)


# --- agency pages --------------------------------------------------------------------------------

def _reviewable(request, identifier):
    return get_object_or_404(reviewable_cards(request.user).select_related("agency", "coordinator"),
                             identifier=identifier)


@login_required
def review_queue(request):
    if not is_agency_staff(request.user):
        raise Http404
    cards = reviewable_cards(request.user).select_related("agency")
    waiting = cards.filter(results_status=ResultsStatus.UNDER_REVIEW).order_by("submitted_at", "identifier")
    page = Paginator(cards.order_by("-call_year", "identifier"), 50).get_page(request.GET.get("page") or 1)
    return render(request, "results/review_queue.html", {
        "waiting": list(waiting), "page": page,
        "previous_url": _with_page(request, page.number - 1) if page.has_previous() else "",
        "next_url": _with_page(request, page.number + 1) if page.has_next() else "",
    })


def _review_context(card, **forms):
    context = {
        "card": card,
        "results": list(card.results.prefetch_related("files").order_by("created_at", "pk")),
        "contacts": list(card.contacts.order_by("name", "pk")),
        "events": list(card.review_events.select_related("actor").order_by("-created_at", "-pk")),
        "organisations": list(card.organisations.order_by("order", "pk")),
        "return_form": ReturnForm(), "approve_form": ApproveForm(),
    }
    context.update(forms)
    return context


@login_required
def review(request, identifier):
    card = _reviewable(request, identifier)
    return render(request, "results/review.html", _review_context(card))


@login_required
@require_POST
def review_decide(request, identifier, decision):
    card = _reviewable(request, identifier)
    try:
        if decision == "approve":
            form = ApproveForm(request.POST)
            form.is_valid()
            workflow.approve(card, request.user, form.cleaned_data.get("comment", ""))
            messages.success(request, _("The results are approved."))
        elif decision == "return":
            form = ReturnForm(request.POST)
            if not form.is_valid():
                return render(request, "results/review.html", _review_context(card, return_form=form), status=400)
            workflow.return_with_comments(card, request.user, form.cleaned_data["comment"])
            messages.success(request, _("The results are returned to the beneficiary with your comment."))
        else:
            raise Http404
    except workflow.TransitionError as exc:
        messages.error(request, str(exc))
    return redirect("results:review", card.identifier)


@login_required
@require_POST
def flag(request, identifier, which):
    value = request.POST.get("value") == "yes"
    try:
        if which == "good-practice":
            card = _reviewable(request, identifier)
            workflow.flag_good_practice(card, request.user, value)
            target = reverse("results:review", args=[card.identifier])
        elif which == "success-story":
            if not is_commission(request.user):
                raise Http404
            card = get_object_or_404(public.public_cards(), identifier=identifier)
            workflow.flag_success_story(card, request.user, value)
            target = reverse("results:project", args=[card.identifier])
        else:
            raise Http404
    except PermissionDenied as exc:
        raise Http404 from exc
    except workflow.TransitionError as exc:
        messages.error(request, str(exc))
        return redirect(request.POST.get("next") if request.POST.get("next", "").startswith("/results/")
                        else "results:search")
    messages.success(request, _("The flag is saved."))
    return redirect(target)

