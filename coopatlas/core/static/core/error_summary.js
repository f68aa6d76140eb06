/* Move focus to the error summary when a form comes back with errors (the `autofocus`
   attribute does it in most browsers; this covers the others), and from a summary link to
   its field. No inline code (CSP). */
(function () {
  "use strict";
  var summary = document.querySelector("[data-error-summary]");
  if (!summary) return;
  if (document.activeElement !== summary) summary.focus();
  summary.addEventListener("click", function (ev) {
    var link = ev.target.closest("a[href^='#']");
    if (!link) return;
    var target = document.getElementById(link.getAttribute("href").slice(1));
    if (!target) return;
    ev.preventDefault();
    target.scrollIntoView({ block: "center" });
    target.focus();
  });
})();
