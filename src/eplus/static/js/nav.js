/* The menu button of small screens: folds the navigation behind a button (the navigation stays open when
   this script does not run). Which elements it folds: the ids in the button's aria-controls. */
(function () {
  "use strict";
  var button = document.querySelector("[data-nav-toggle]");
  if (!button) { return; }
  var targets = (button.getAttribute("aria-controls") || "").split(/\s+/)
    .map(function (id) { return document.getElementById(id); })
    .filter(function (el) { return el; });
  function set(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    targets.forEach(function (el) { el.classList.toggle("is-open", open); });
  }
  document.documentElement.classList.add("js-nav");
  button.hidden = false;
  set(false);
  button.addEventListener("click", function () { set(button.getAttribute("aria-expanded") !== "true"); });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true" && button.offsetParent !== null) {
      set(false);
      button.focus();
    }
  });
})();
