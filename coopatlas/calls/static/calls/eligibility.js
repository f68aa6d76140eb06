// Live eligibility on the application page: as the amount asked is typed, ask the
// server (calls:eligibility) and redraw the checks. Without JavaScript the form still
// submits and the server checks everything again.
(function () {
  "use strict";
  var box = document.querySelector("[data-live-eligibility]");
  var input = document.querySelector("[data-requested]");
  if (!box || !input || !window.fetch) { return; }
  var verdict = document.querySelector("[data-verdict]");
  var timer = null;
  var labels = { yes: "conforme", no: "non conforme", unknown: "à compléter" };
  var badge = { yes: "fr-badge--success", no: "fr-badge--error", unknown: "fr-badge--warning" };
  function draw(data) {
    var ul = document.createElement("ul");
    ul.className = "calls-checks";
    ul.setAttribute("data-checks", "");
    data.checks.forEach(function (c) {
      var state = c.ok === true ? "yes" : (c.ok === false ? "no" : "unknown");
      var li = document.createElement("li");
      li.setAttribute("data-check", c.key);
      li.setAttribute("data-ok", state);
      var span = document.createElement("span");
      span.className = "fr-badge fr-badge--sm " + badge[state];
      span.textContent = labels[state];
      li.appendChild(span);
      li.appendChild(document.createTextNode(" " + c.reason));
      ul.appendChild(li);
    });
    box.replaceChildren(ul);
    if (verdict) { verdict.textContent = data.verdict; }
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var url = box.getAttribute("data-url") + "?requested=" + encodeURIComponent(input.value);
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) { if (data.checks) { draw(data); } })
        .catch(function () {});
    }, 250);
  });
})();
