from django import template
from django.urls import reverse
from django.utils.html import format_html

register = template.Library()


@register.simple_tag(takes_context=True)
def nav_link(context, name, label):
    """One item of the navigation: a link to the URL named ``name``, marked as the current page when it is.

    Only for people signed in: a visitor's public page is stored once as a layout for every path
    (results.views._pages), so nothing of the visitor's navigation may depend on the path."""
    url = reverse(name)
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and request.path == url:
        return format_html('<li><a href="{}" aria-current="page">{}</a></li>', url, label)
    return format_html('<li><a href="{}">{}</a></li>', url, label)
