/* Editing space: type-ahead pickers over plain text inputs, live financing totals,
   confirmation of deletions. Progressive enhancement: without this file every field still
   accepts a code typed by hand and the server computes the totals. No inline code (CSP). */
(function () {
  "use strict";

  var urls = document.getElementById("editor-pickers");

  // ------------------------------------------------------------------ pickers
  // A single picker completes its text input. A list picker (a textarea, one entry per line)
  // becomes a search box and a list of chosen entries, each with its role or percentage
  // when the field asks for one (data-picker-extra); the textarea stays in the form, hidden,
  // rewritten on every change: the server reads the same text with or without this file.
  function text(key, fallback) { return (urls && urls.dataset[key]) || fallback; }

  function suggest(input, url, onChoose) {
    var list = document.createElement("ul");
    list.className = "editor-picker-list";
    list.id = input.id + "-options";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    input.insertAdjacentElement("afterend", list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    var timer = null;
    var seq = 0;

    function close() { list.hidden = true; list.textContent = ""; input.setAttribute("aria-expanded", "false"); }
    function pick(item) { onChoose(item); close(); input.focus(); }

    function show(items, refusal) {
      list.textContent = "";
      if (refusal) {  // a State named as partner: say why nothing is offered (issue 9)
        var why = document.createElement("li");
        why.setAttribute("role", "option");
        why.setAttribute("aria-disabled", "true");
        why.className = "picker-refusal";
        why.textContent = refusal;
        list.appendChild(why);
      }
      items.forEach(function (item, i) {
        var li = document.createElement("li");
        li.setAttribute("role", "option");
        li.id = list.id + "-" + i;
        li.tabIndex = -1;
        li.textContent = item.label + " (" + item.code + ")";
        li.addEventListener("mousedown", function (ev) { ev.preventDefault(); pick(item); });
        li.addEventListener("keydown", function (ev) {
          if (ev.key === "Enter") { ev.preventDefault(); pick(item); }
          if (ev.key === "ArrowDown" && li.nextSibling) { ev.preventDefault(); li.nextSibling.focus(); }
          if (ev.key === "ArrowUp") { ev.preventDefault(); (li.previousSibling || input).focus(); }
          if (ev.key === "Escape") { close(); input.focus(); }
        });
        list.appendChild(li);
      });
      var open = items.length > 0 || !!refusal;
      list.hidden = !open;
      input.setAttribute("aria-expanded", open ? "true" : "false");
    }

    input.addEventListener("input", function () {
      var q = input.value.trim();
      clearTimeout(timer);
      if (q.length < 2 || q.indexOf(" — ") >= 0) { close(); return; }
      timer = setTimeout(function () {
        var mine = ++seq;
        fetch(url + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : { results: [] }; })
          .then(function (data) { if (mine === seq) show(data.results || [], data.refusal || ""); })
          .catch(close);
      }, 200);
    });
    input.addEventListener("keydown", function (ev) {
      if (ev.key === "ArrowDown" && !list.hidden && list.firstChild) { ev.preventDefault(); list.firstChild.focus(); }
      if (ev.key === "Enter" && !list.hidden) ev.preventDefault();  // not a submit while choosing
      if (ev.key === "Escape") close();
    });
    input.addEventListener("blur", function () { setTimeout(function () {
      if (!list.contains(document.activeElement)) close();
    }, 150); });
  }

  function parseEntries(value, extra) {
    return value.split("\n").map(function (line) { return line.trim(); }).filter(Boolean).map(function (line) {
      var cut = extra ? line.lastIndexOf(";") : -1;
      if (cut < 0) return { text: line, extra: "" };
      return { text: line.slice(0, cut).trim(), extra: line.slice(cut + 1).trim() };
    });
  }

  function rowList(area, url) {
    var extra = area.dataset.pickerExtra || "";
    var choices = area.dataset.pickerChoices ? JSON.parse(area.dataset.pickerChoices) : [];
    var fallback = area.dataset.pickerDefault || (choices.length ? choices[choices.length - 1][0] : "");
    var id = area.id;
    var search = document.createElement("input");
    search.type = "text";
    search.className = "fr-input";
    search.autocomplete = "off";
    search.placeholder = text("searchPlaceholder", "Tapez quelques lettres…");
    if (area.getAttribute("aria-describedby")) search.setAttribute("aria-describedby", area.getAttribute("aria-describedby"));
    if (area.classList.contains("fr-input--error")) search.classList.add("fr-input--error");
    area.id = id + "-text";
    search.id = id;
    area.hidden = true;
    area.removeAttribute("aria-describedby");
    var ul = document.createElement("ul");
    ul.className = "editor-rows";
    ul.setAttribute("data-picker-rows", area.name);
    area.insertAdjacentElement("afterend", ul);
    ul.insertAdjacentElement("afterend", search);

    function roleCode(value) {
      var wanted = (value || "").toLowerCase();
      for (var i = 0; i < choices.length; i++) {
        if (wanted === String(choices[i][0]).toLowerCase() || wanted === String(choices[i][1]).toLowerCase()) return choices[i][0];
      }
      return value ? value : fallback;
    }

    function write() {
      var lines = [];
      ul.querySelectorAll("li").forEach(function (li) {
        var value = li.dataset.text;
        var control = li.querySelector("[data-row-extra]");
        var v = control ? control.value.trim() : "";
        if (extra === "role" && v === fallback) v = "";
        lines.push(v ? value + " ; " + v : value);
      });
      area.value = lines.join("\n");
    }

    function add(entry) {
      var li = document.createElement("li");
      li.className = "editor-row";
      li.dataset.text = entry.text;
      var name = document.createElement("span");
      name.className = "editor-row__name";
      var label = entry.text.split(" — ");
      name.textContent = label.length > 1 ? label.slice(1).join(" — ") : entry.text;
      li.appendChild(name);
      var n = ul.children.length;
      if (extra === "role") {
        var select = document.createElement("select");
        select.className = "fr-select editor-row__extra";
        select.setAttribute("data-row-extra", "role");
        select.id = id + "-role-" + n;
        select.setAttribute("aria-label", text("roleOf", "Rôle de") + " " + name.textContent);
        choices.forEach(function (c) {
          var option = document.createElement("option");
          option.value = c[0];
          option.textContent = c[1];
          select.appendChild(option);
        });
        select.value = roleCode(entry.extra);
        select.addEventListener("change", write);
        li.appendChild(select);
      } else if (extra === "percent") {
        var pct = document.createElement("input");
        pct.type = "text";
        pct.inputMode = "decimal";
        pct.className = "fr-input editor-row__extra";
        pct.setAttribute("data-row-extra", "percent");
        pct.id = id + "-pct-" + n;
        pct.size = 5;
        pct.value = entry.extra.replace(/\s*%$/, "");
        pct.setAttribute("aria-label", text("shareOf", "Part en % de") + " " + name.textContent);
        pct.addEventListener("input", write);
        li.appendChild(pct);
        var unit = document.createElement("span");
        unit.textContent = " %";
        unit.setAttribute("aria-hidden", "true");
        li.appendChild(unit);
      }
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "fr-btn fr-btn--tertiary-no-outline fr-btn--sm fr-icon-close-line fr-btn--icon-left";
      remove.textContent = text("remove", "Retirer");
      remove.setAttribute("aria-label", text("remove", "Retirer") + " " + name.textContent);
      remove.addEventListener("click", function () { li.remove(); write(); search.focus(); });
      li.appendChild(remove);
      ul.appendChild(li);
    }

    parseEntries(area.value, extra).forEach(add);
    suggest(search, url, function (item) {
      var entry = { text: item.code + " — " + item.label, extra: "" };
      if (extra === "percent") entry.extra = ul.children.length ? "" : "100";
      add(entry);
      write();
      search.value = "";
      var last = ul.lastElementChild && ul.lastElementChild.querySelector("[data-row-extra]");
      if (last && extra === "percent" && !last.value) last.focus();
    });
  }

  document.querySelectorAll("[data-picker]").forEach(function (input) {
    var url = urls && urls.dataset[input.dataset.picker];
    if (!url || input.disabled) return;
    if (input.dataset.pickerMany === "1") {
      rowList(input, url);
    } else {
      suggest(input, url, function (item) {
        input.value = item.code + " — " + item.label;
        input.dispatchEvent(new Event("input", { bubbles: true }));
      });
    }
  });

  // ------------------------------------------------------------------ financing totals
  var totals = document.querySelector("[data-funding-totals]");
  var form = document.querySelector("[data-funding-form]");

  function parse(value) {
    var n = parseFloat(String(value || "").replace(/\s/g, "").replace(",", "."));
    return isFinite(n) ? n : 0;
  }

  // « 48 000,00 » (« 48 000.00 » in English): as the server writes it (core/parse.py amount_display).
  var decimalMark = (document.documentElement.lang || "fr").slice(0, 2) === "en" ? "." : ",";
  function money(n) {
    var parts = Math.abs(n).toFixed(2).split(".");
    var whole = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, "\u00a0");
    return (n < 0 ? "-" : "") + whole + decimalMark + parts[1];
  }

  function recompute() {
    var currency = totals.dataset.currency;
    var budget = totals.dataset.budget === "" ? null : parse(totals.dataset.budget);
    var cash = 0, inKind = 0;
    form.querySelectorAll("[data-funding-line]").forEach(function (line) {
      var amount = line.querySelector("[data-funding-amount]");
      var cur = line.querySelector("[data-funding-currency]");
      var nature = line.querySelector("[data-funding-nature]");
      var remove = line.querySelector("[data-funding-remove]");
      if (!amount || amount.value === "" || (remove && remove.checked)) return;
      if (cur && cur.value && cur.value.trim().toUpperCase() !== currency) return;
      if (nature && nature.value === "in_kind") inKind += parse(amount.value);
      else cash += parse(amount.value);
    });
    var total = cash + inKind;
    totals.querySelector("[data-total-cash]").textContent = money(cash);
    totals.querySelector("[data-total-in-kind]").textContent = money(inKind);
    totals.querySelector("[data-total]").textContent = money(total);
    var gap = totals.querySelector("[data-gap]");
    if (budget !== null) {
      gap.textContent = money(budget - total);
      totals.classList.toggle("editor-over-budget", total > budget);
    }
  }

  if (totals && form) {
    form.addEventListener("input", recompute);
    form.addEventListener("change", recompute);
  }

  // ------------------------------------------------------------------ confirmations
  document.querySelectorAll("[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (ev) {
      if (!window.confirm(button.dataset.confirm)) ev.preventDefault();
    });
  });
})();
