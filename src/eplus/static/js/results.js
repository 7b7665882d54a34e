/* Results platform: small progressive enhancement; every page works without it. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // Refuse a file over 100 MB before sending it (the server checks again whatever happens).
    var limit = 100 * 1024 * 1024;
    document.querySelectorAll("input[type=file][data-too-large]").forEach(function (input) {
      input.addEventListener("change", function () {
        var big = Array.prototype.some.call(input.files || [], function (f) { return f.size > limit; });
        input.setCustomValidity(big ? input.getAttribute("data-too-large") : "");
        if (big) { input.reportValidity(); }
      });
    });
  });
})();
