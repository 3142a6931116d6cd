(function () {
  "use strict";
  var root = document.documentElement;
  var form = document.getElementById("filters");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#findings-table tbody tr[data-status]"));
  var empty = document.getElementById("no-match");

  function each(selector, fn) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), fn);
  }

  function setLang(lang) {
    root.setAttribute("data-lang", lang);
    root.setAttribute("lang", lang === "zh" ? "zh-CN" : "en");
    document.title = root.getAttribute("data-title-" + lang) || document.title;
    each("[data-set-lang]", function (b) {
      b.setAttribute("aria-pressed", String(b.getAttribute("data-set-lang") === lang));
    });
    each("option[data-zh]", function (o) { o.textContent = o.getAttribute("data-" + lang); });
  }

  function matches(row, party, clause, status) {
    if (party && row.getAttribute("data-party") !== party) { return false; }
    if (clause) {
      var cut = clause.indexOf(":");
      var attr = clause.slice(0, cut) === "family" ? "data-family" : "data-clause";
      if (row.getAttribute(attr) !== clause.slice(cut + 1)) { return false; }
    }
    var s = row.getAttribute("data-status");
    if (status === "open") { return s === "fail" || s === "insufficient_data" || s === "waived"; }
    return status === "all" || s === status;
  }

  function apply() {
    var party = form.elements.party.value;
    var clause = form.elements.clause.value;
    var status = form.elements.status.value;
    var shown = 0;
    rows.forEach(function (row) {
      var ok = matches(row, party, clause, status);
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    empty.hidden = shown !== 0;
    each("[data-shown]", function (el) { el.textContent = String(shown); });
  }

  each("[data-set-lang]", function (b) {
    b.addEventListener("click", function () { setLang(b.getAttribute("data-set-lang")); });
  });
  window.addEventListener("beforeprint", function () {
    each("details", function (d) { d.setAttribute("open", ""); });
  });
  form.addEventListener("change", apply);
  form.addEventListener("reset", function () { window.setTimeout(apply, 0); });
  setLang(root.getAttribute("data-lang") || "zh");
  apply();
  root.setAttribute("data-ready", "true");
})();
