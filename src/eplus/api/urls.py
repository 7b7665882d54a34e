"""The public and private JSON API under /api/v1/ (django-ninja); OpenAPI docs at /api/v1/docs."""

from django.shortcuts import render
from ninja import NinjaAPI
from ninja.openapi.docs import Swagger, _csrf_needed


class OfflineSwagger(Swagger):
    """Swagger UI from the site's own static files (npm swagger-ui-dist), started by a static script: it
    works without internet and under the site's Content-Security-Policy (no CDN, no inline script)."""

    def render_page(self, request, api, **kwargs):
        return render(request, "api/docs.html", {
            "api": api, "openapi_url": self.get_openapi_url(api, kwargs), "add_csrf": _csrf_needed(api)})


api = NinjaAPI(
    title="eplus API",
    version="1",
    description="Erasmus+ KA2 programme data, eligibility pre-checks and open data.",
    urls_namespace="api",
    docs_url="/docs",
    docs=OfflineSwagger(),
)

# Routers are added by each app's api module.
from eplus.programme.api import router as programme_router  # noqa: E402

from eplus.programme.eligibility_api import router as eligibility_router  # noqa: E402

api.add_router("/programme/", programme_router)
api.add_router("/eligibility/", eligibility_router)

from eplus.applications.api import router as applications_router  # noqa: E402
from eplus.evaluation.api import router as evaluation_router  # noqa: E402
from eplus.projects.api import router as projects_router  # noqa: E402
from eplus.results.api import router as results_router  # noqa: E402

api.add_router("/applications/", applications_router)
api.add_router("/agency/", evaluation_router)
api.add_router("/projects/", projects_router)
api.add_router("/public/", results_router)
