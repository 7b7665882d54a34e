/* Starts Swagger UI on /api/v1/docs from the page's data attributes (no inline script: see the CSP). */
(function () {
  "use strict";
  var data = document.body.dataset;
  var settings = {url: data.openapiUrl, dom_id: "#swagger-ui", layout: "BaseLayout", deepLinking: true,
                  presets: [window.SwaggerUIBundle.presets.apis]};
  if (data.csrfToken) {
    settings.requestInterceptor = function (request) {
      request.headers["X-CSRFToken"] = data.csrfToken;
      return request;
    };
  }
  window.SwaggerUIBundle(settings);
})();
