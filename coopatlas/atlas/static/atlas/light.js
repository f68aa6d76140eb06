/* Low-bandwidth mode (issue 13): a toggle in the footer, remembered in this browser, that
 * drops the map (Leaflet, basemap, map data) and images. The choice is read before the page
 * draws (this script is loaded without defer in <head>), so nothing heavy starts loading. */
(function () {
  "use strict";
  var KEY = "atlas-light";
  var root = document.documentElement;

  function stored() {
    try { return window.localStorage.getItem(KEY) === "1"; } catch (e) { return false; }
  }
  if (stored()) { root.setAttribute("data-atlas-light", ""); }

  function wire() {
    var box = document.getElementById("atlas-light-toggle");
    if (!box) { return; }
    box.closest("[hidden]") && box.closest("[hidden]").removeAttribute("hidden");
    box.checked = root.hasAttribute("data-atlas-light");
    box.addEventListener("change", function () {
      try { window.localStorage.setItem(KEY, box.checked ? "1" : "0"); } catch (e) { /* private mode */ }
      window.location.reload();
    });
  }
  // A table wider than the screen scrolls inside its container: make that container a named
  // region the keyboard can reach (RGAA 7.3, WCAG 2.1.1), named after the table's caption.
  function scrollables() {
    document.querySelectorAll(".fr-table__content, .fr-table__wrapper").forEach(function (node) {
      var table = node.querySelector("table");
      if (!table || node.querySelector(".fr-table__content")) { return; }  // the innermost box
      if (node.scrollWidth > node.clientWidth + 1) {
        var caption = table.querySelector("caption");
        node.setAttribute("tabindex", "0");
        node.setAttribute("role", "region");
        var name = caption && caption.textContent.trim();
        node.setAttribute("aria-label", name || (root.lang === "en" ? "Table" : "Tableau"));
      } else if (node.getAttribute("role") === "region") {
        node.removeAttribute("tabindex");
        node.removeAttribute("role");
        node.removeAttribute("aria-label");
      }
    });
  }

  function ready() {
    wire();
    scrollables();
    window.addEventListener("resize", scrollables);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
