"""The agency's view of the outbox: what eplus e-mailed to whom about the agency's work, and what failed."""

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from eplus.core.models import OutgoingMail
from eplus.core.paging import page_numbers, paging_links
from eplus.core.permissions import permission_required

from ..rules import officer_mail

PER_PAGE = 100


@permission_required("evaluation.use_back_office")
def mail_log(request):
    mails = officer_mail(request.user).defer("body", "html_body")
    state = request.GET.get("state", "")
    if state in OutgoingMail.State.values:
        mails = mails.filter(state=state)
    else:
        state = ""
    recipient = request.GET.get("to", "").strip()[:200].replace("\x00", "")
    if recipient:
        mails = mails.filter(recipients__icontains=recipient)
    page = Paginator(mails.order_by("-created_at", "-pk"), PER_PAGE).get_page(request.GET.get("page") or 1)
    previous_url, next_url = paging_links(request, page)
    return render(request, "evaluation/mail_log.html", {
        "page": page, "paging": page_numbers(page), "previous_url": previous_url, "next_url": next_url,
        "state": state, "recipient": recipient, "states": OutgoingMail.State.choices,
        "failed": officer_mail(request.user).filter(state=OutgoingMail.State.FAILED).count(),
    })


@permission_required("evaluation.use_back_office")
def mail_detail(request, pk):
    mail = get_object_or_404(officer_mail(request.user), pk=pk)
    return render(request, "evaluation/mail_detail.html", {"mail": mail})
