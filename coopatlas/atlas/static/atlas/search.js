/* Type-ahead over the search form: the form still works without JavaScript.
 *
 * ARIA combobox pattern: arrows move in the list, Enter opens the chosen page, Escape
 * closes. Suggestions are inserted with textContent (names are user data).
 */
(function () {
  "use strict";

  function sitePath(url) {
    return (typeof url === "string" && url.charAt(0) === "/" && url.charAt(1) !== "/") ? url : null;
  }

  function setup(form) {
    var input = form.querySelector("input[type=search]");
    var list = form.querySelector(".atlas-suggest");
    var status = form.querySelector("[data-suggest-status]");
    var url = form.getAttribute("data-suggest-url");
    var kinds = {};
    try { kinds = JSON.parse(form.getAttribute("data-suggest-kinds") || "{}"); } catch (e) { kinds = {}; }
    if (!input || !list || !url) { return; }
    var timer = null, active = -1, items = [], lastQuery = "", controller = null;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var options = list.querySelectorAll("[role=option]");
      options.forEach(function (o, i) { o.setAttribute("aria-selected", i === index ? "true" : "false"); });
      active = index;
      if (index >= 0 && options[index]) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({block: "nearest"});
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function show(results) {
      items = results.filter(function (r) { return sitePath(r.html_url); });
      list.textContent = "";
      var group = null;
      items.forEach(function (r, i) {
        if (r.group_label && r.group_label !== group) {
          // A heading per kind (pays, collectivités françaises…): not an option, so the
          // arrows skip it; each option still names its kind in its meta line.
          group = r.group_label;
          var heading = document.createElement("li");
          heading.setAttribute("role", "presentation");
          heading.className = "atlas-suggest__group";
          heading.textContent = group;
          list.appendChild(heading);
        }
        var li = document.createElement("li");
        li.id = list.id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        var label = document.createElement("span");
        label.className = "atlas-suggest__label";
        label.textContent = r.label || "";
        li.appendChild(label);
        var meta = [kinds[r.kind] || "", r.code || ""].filter(Boolean).join(" · ");
        if (meta) {
          var small = document.createElement("span");
          small.className = "atlas-suggest__meta";
          small.textContent = meta;
          li.appendChild(small);
        }
        li.addEventListener("mousedown", function (event) {
          event.preventDefault();
          window.location.assign(sitePath(r.html_url));
        });
        list.appendChild(li);
      });
      var none = form.dataset.suggestNone || "";
      if (!items.length && none) {
        // Nothing matched: say so (an empty box looked broken), and that Enter still
        // searches the whole atlas. Not an option: the arrows have nothing to reach.
        var empty = document.createElement("li");
        empty.setAttribute("role", "presentation");
        empty.className = "atlas-suggest__empty";
        empty.textContent = none;
        list.appendChild(empty);
      }
      list.hidden = !items.length && !none;
      input.setAttribute("aria-expanded", items.length ? "true" : "false");
      active = -1;
      if (status) {
        status.textContent = items.length ? items.length + " " + (form.dataset.suggestCount || "suggestions") : none;
      }
    }

    function fetchSuggestions() {
      var q = input.value.trim();
      if (q === lastQuery) { return; }
      lastQuery = q;
      if (q.length < 2) { close(); return; }
      if (controller) { controller.abort(); }
      controller = typeof AbortController !== "undefined" ? new AbortController() : null;
      fetch(url + "?q=" + encodeURIComponent(q), {signal: controller ? controller.signal : undefined,
                                                  headers: {"Accept": "application/json"}})
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (data) { if (input.value.trim() === q) { show(Array.isArray(data) ? data : []); } })
        .catch(function () { /* the plain form still works */ });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(fetchSuggestions, 150);
    });
    input.addEventListener("keydown", function (event) {
      if (list.hidden) { return; }
      if (event.key === "ArrowDown") {
        event.preventDefault(); highlight(Math.min(active + 1, items.length - 1));
      } else if (event.key === "ArrowUp") {
        event.preventDefault(); highlight(Math.max(active - 1, -1));
      } else if (event.key === "Escape") {
        close();
      } else if (event.key === "Enter" && active >= 0 && items[active]) {
        event.preventDefault();
        window.location.assign(sitePath(items[active].html_url));
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  function start() {
    document.querySelectorAll("form.atlas-search").forEach(setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
