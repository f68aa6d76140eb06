/* Editing space: type-ahead pickers over plain text inputs, live financing totals,
   confirmation of deletions. Progressive enhancement: without this file every field still
   accepts a code typed by hand and the server computes the totals. No inline code (CSP). */
(function () {
  "use strict";

  var urls = document.getElementById("editor-pickers");

  // ------------------------------------------------------------------ pickers
  function currentEntry(input, many) {
    if (!many) return input.value;
    var before = input.value.slice(0, input.selectionStart);
    return before.slice(before.lastIndexOf("\n") + 1);
  }

  function choose(input, many, item) {
    var text = item.code + " — " + item.label;
    if (!many) {
      input.value = text;
    } else {
      var caret = input.selectionStart;
      var start = input.value.lastIndexOf("\n", caret - 1) + 1;
      var end = input.value.indexOf("\n", caret);
      if (end < 0) end = input.value.length;
      var suffix = input.dataset.picker === "sectors" ? " ; 100" : "";
      input.value = input.value.slice(0, start) + text + suffix + "\n" + input.value.slice(end).replace(/^\n/, "");
      var pos = start + text.length + suffix.length + 1;
      input.setSelectionRange(pos, pos);
    }
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function attachPicker(input) {
    var url = urls && urls.dataset[input.dataset.picker];
    if (!url) return;
    var many = input.dataset.pickerMany === "1";
    var list = document.createElement("ul");
    list.className = "editor-picker-list";
    list.id = input.id + "-options";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    input.insertAdjacentElement("afterend", list);
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-autocomplete", "list");
    var timer = null;
    var seq = 0;

    function close() { list.hidden = true; list.textContent = ""; }

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
        li.addEventListener("mousedown", function (ev) {
          ev.preventDefault();
          choose(input, many, item);
          close();
          input.focus();
        });
        li.addEventListener("keydown", function (ev) {
          if (ev.key === "Enter") { ev.preventDefault(); choose(input, many, item); close(); input.focus(); }
          if (ev.key === "ArrowDown" && li.nextSibling) { ev.preventDefault(); li.nextSibling.focus(); }
          if (ev.key === "ArrowUp") { ev.preventDefault(); (li.previousSibling || input).focus(); }
          if (ev.key === "Escape") { close(); input.focus(); }
        });
        list.appendChild(li);
      });
      list.hidden = items.length === 0 && !refusal;
    }

    input.addEventListener("input", function () {
      var q = currentEntry(input, many).trim();
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
      if (ev.key === "Escape") close();
    });
    input.addEventListener("blur", function () { setTimeout(function () {
      if (!list.contains(document.activeElement)) close();
    }, 150); });
  }

  document.querySelectorAll("[data-picker]").forEach(function (input) {
    if (!input.disabled) attachPicker(input);
  });

  // ------------------------------------------------------------------ financing totals
  var totals = document.querySelector("[data-funding-totals]");
  var form = document.querySelector("[data-funding-form]");

  function parse(value) {
    var n = parseFloat(String(value || "").replace(/\s/g, "").replace(",", "."));
    return isFinite(n) ? n : 0;
  }

  function money(n) { return n.toFixed(2); }

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
