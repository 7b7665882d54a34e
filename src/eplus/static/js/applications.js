/* Applications: keep deadline countdowns ticking (the server renders the first value). */
(function () {
  "use strict";
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function render(el) {
    var end = new Date(el.getAttribute("data-countdown"));
    if (isNaN(end)) { return; }
    var left = Math.floor((end - new Date()) / 1000);
    if (left <= 0) { el.textContent = el.getAttribute("data-closed") || "Closed"; return; }
    var days = Math.floor(left / 86400), hours = Math.floor(left % 86400 / 3600);
    var minutes = Math.floor(left % 3600 / 60), seconds = left % 60;
    el.textContent = (days ? days + " d " : "") + pad(hours) + ":" + pad(minutes) + ":" + pad(seconds);
  }
  function tick() { document.querySelectorAll("[data-countdown]").forEach(render); }
  document.addEventListener("DOMContentLoaded", function () { tick(); window.setInterval(tick, 1000); });
})();
