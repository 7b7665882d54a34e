"""The public and private JSON API under /api/v1/ (django-ninja); OpenAPI docs at /api/v1/docs."""

from ninja import NinjaAPI

api = NinjaAPI(
    title="eplus API",
    version="1",
    description="Erasmus+ KA2 programme data, eligibility pre-checks and open data.",
    urls_namespace="api",
    docs_url="/docs",
)

# Routers are added by each app's api module.
from eplus.programme.api import router as programme_router  # noqa: E402

from eplus.programme.eligibility_api import router as eligibility_router  # noqa: E402

api.add_router("/programme/", programme_router)
api.add_router("/eligibility/", eligibility_router)
