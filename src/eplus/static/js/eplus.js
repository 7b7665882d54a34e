/* Small progressive enhancement; every page works without it. */
(function () {
  "use strict";
  function ready(fn) { if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); } }
  ready(function () {
    // Move focus to an error summary so screen-reader and keyboard users land on it.
    var summary = document.querySelector("[data-autofocus]");
    if (summary) { summary.focus(); }
    // Show deadlines in the reader's own time zone next to Brussels time.
    document.querySelectorAll("time[data-local]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when)) { return; }
      var target = document.getElementById(el.getAttribute("data-local"));
      if (!target) { return; }
      // dateStyle/timeStyle cannot be combined with timeZoneName, so the parts are named one by one.
      var fmt = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
        year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short"
      });
      target.textContent = target.getAttribute("data-prefix") + " " + fmt.format(when);
      target.hidden = false;
    });
  });
})();
