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


MESSAGE = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
INVALID_INPUT = {"type": "object", "required": ["detail"], "properties": {"detail": {
    "type": "array", "items": {"type": "object", "properties": {
        "type": {"type": "string"}, "loc": {"type": "array"}, "msg": {"type": "string"}}}}}}


def _json(description, schema):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


class DocumentedAPI(NinjaAPI):
    """The API whose schema also documents the answers every operation may give besides its own: a 400 for
    input no field may hold (core.middleware.RefuseControlCharactersMiddleware), a 401 without a session
    for the operations behind a log-in, and django-ninja's 422 for parameters or a body that do not fit
    their types. Clients (and the schemathesis run of tests/fuzz) can rely on every status code and body
    they get being documented."""

    def get_openapi_schema(self, **kwargs):
        schema = super().get_openapi_schema(**kwargs)
        validated = {self._operation_id(operation) for operation in self._operations() if operation.models}
        for path_item in schema["paths"].values():
            for operation in path_item.values():
                self._document_common_answers(operation, operation.get("operationId") in validated)
        return schema

    def _operations(self):
        for _prefix, router in self._routers:
            for path_view in router.path_operations.values():
                yield from path_view.operations

    def _operation_id(self, operation):
        return operation.operation_id or self.get_openapi_operation_id(operation)

    @staticmethod
    def _document_common_answers(operation, validated):
        responses = operation.setdefault("responses", {})
        responses.setdefault(400, _json(
            "The input cannot be used: it holds a character no input may hold (a control character or a lone "
            "surrogate), or a value the operation does not know; `detail` says which.", MESSAGE))
        if operation.get("security"):
            responses.setdefault(401, _json(
                "Not signed in. The API uses the site's session: log in, send the session cookie, and the "
                "CSRF token in `X-CSRFToken` with every write.", MESSAGE))
        if validated:
            invalid = _json("A parameter or the body does not fit its type; `detail` lists each problem.",
                            INVALID_INPUT)
            if 422 in responses:  # the operation's own refusal, and django-ninja's of the input's types
                own = responses[422]["content"]["application/json"]["schema"]
                invalid = _json(responses[422]["description"] + "; or a parameter or the body does not fit "
                                "its type.", {"anyOf": [own, INVALID_INPUT]})
            responses[422] = invalid


api = DocumentedAPI(
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
