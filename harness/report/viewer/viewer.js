// deskbench view: filters and sorting on the index, keyboard moves on episode pages.
// Plain script (no modules, libraries or network) so it runs from file:// in any browser.
// It only reads the page: every text it shows was escaped when the page was written, and it
// sets text with textContent, never as HTML.
"use strict";

(function () {
  // ---- index: filters kept in the URL's #fragment, so "back" from an episode keeps them ----

  function readFilters() {
    return new URLSearchParams(window.location.hash.slice(1));
  }

  function writeFilters(selects) {
    var params = new URLSearchParams();
    selects.forEach(function (s) { if (s.value !== "") params.set(s.dataset.filter, s.value); });
    var hash = params.toString();
    try {
      history.replaceState(null, "", hash ? "#" + hash : window.location.pathname);
    } catch (e) {
      // some browsers refuse history changes on file:// pages; the filters still work
    }
  }

  function applyFilters(table, selects) {
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var shown = 0;
    var successes = 0;
    rows.forEach(function (row) {
      var visible = selects.every(function (s) {
        return s.value === "" || row.dataset[s.dataset.filter] === s.value;
      });
      row.hidden = !visible;
      if (visible) {
        shown += 1;
        if (row.dataset.status === "success") successes += 1;
      }
    });
    document.getElementById("shown").textContent =
      shown + " of " + rows.length + " episodes shown, " + successes + " successes";
    writeFilters(selects);
  }

  function cellValue(row, column) {
    var cell = row.cells[column];
    if (!cell) return "";
    var raw = cell.dataset.sort;
    return raw !== undefined ? parseFloat(raw) : cell.textContent.trim().toLowerCase();
  }

  function sortBy(table, th) {
    var column = parseInt(th.dataset.column, 10);
    var descending = th.dataset.order === "asc";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) { delete c.dataset.order; });
    th.dataset.order = descending ? "desc" : "asc";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a, column);
      var y = cellValue(b, column);
      var order = x < y ? -1 : x > y ? 1 : 0;
      return descending ? -order : order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  function filtersFromUrl(table, selects) {
    // a filter the URL leaves out (or names a value no episode has) shows all
    var wanted = readFilters();
    selects.forEach(function (s) {
      var value = wanted.get(s.dataset.filter);
      var known = Array.prototype.some.call(s.options, function (o) { return o.value === value; });
      s.value = value !== null && known ? value : "";
    });
    applyFilters(table, selects);
  }

  function setupIndex(table) {
    var selects = Array.prototype.slice.call(document.querySelectorAll("select[data-filter]"));
    selects.forEach(function (s) {
      s.addEventListener("change", function () { applyFilters(table, selects); });
    });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      th.addEventListener("click", function () { sortBy(table, th); });
    });
    window.addEventListener("hashchange", function () { filtersFromUrl(table, selects); });
    filtersFromUrl(table, selects);
  }

  // ---- episode pages: j/k move between turns, n/p between episodes, o hides the action marks ----

  function moveStep(delta) {
    // the next turn is the first one starting below the top of the window; the previous, the last above it
    var steps = Array.prototype.slice.call(document.querySelectorAll("article.step"));
    var target = delta > 0
      ? steps.find(function (s) { return s.getBoundingClientRect().top > 5; })
      : steps.filter(function (s) { return s.getBoundingClientRect().top < -5; }).pop();
    if (target) target.scrollIntoView({ block: "start" });
  }

  function follow(key) {
    var link = document.querySelector('a[data-key="' + key + '"]');
    if (link) window.location.href = link.href;
  }

  function setupEpisode() {
    document.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      if (event.target && /^(INPUT|SELECT|TEXTAREA)$/.test(event.target.tagName)) return;
      var actions = {
        j: function () { moveStep(1); },
        k: function () { moveStep(-1); },
        n: function () { follow("next"); },
        p: function () { follow("prev"); },
        i: function () { follow("index"); },
        o: function () { document.body.classList.toggle("no-marks"); }
      };
      if (actions[event.key]) actions[event.key]();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var table = document.getElementById("episodes");
    if (table) setupIndex(table);
    if (document.body.classList.contains("episode")) setupEpisode();
  });
})();
