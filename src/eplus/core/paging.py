"""Paging links that keep the rest of the query string (filters, search words), for any list page;
the template is ``core/_pagination.html``."""


def page_numbers(page):
    return {"has_previous": page.has_previous(), "has_next": page.has_next(), "number": page.number,
            "num_pages": page.paginator.num_pages, "count": page.paginator.count}


def with_page(request, number):
    params = request.GET.copy()
    params["page"] = number
    return "?" + params.urlencode()


def paging_links(request, page):
    """The previous and next page's links ("" where there is none)."""
    return (with_page(request, page.number - 1) if page.has_previous() else "",
            with_page(request, page.number + 1) if page.has_next() else "")
