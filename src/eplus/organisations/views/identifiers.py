"""The organisation's PIC beside its OID: recorded by its legal representatives and contact persons."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from eplus.core.permissions import permission_required

from ..forms import PicForm
from ..pic import set_pic
from ..rules import organisation_by_oid
from ._forms import add_errors


@permission_required("organisations.change_pic", obj=organisation_by_oid)
def pic(request, oid):
    organisation = request.permission_object
    form = PicForm(request.POST or None, initial={"pic": organisation.pic})
    if request.method == "POST" and form.is_valid():
        try:
            organisation = set_pic(organisation, form.cleaned_data["pic"], request.user)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            if organisation.pic:
                messages.success(request, _("The PIC %(pic)s is recorded.") % {"pic": organisation.pic})
            else:
                messages.success(request, _("The PIC has been removed."))
            return redirect(organisation.get_absolute_url())
    return render(request, "organisations/pic.html", {"organisation": organisation, "form": form})
