// Nightdesk dashboard: live countdowns, new tickets without a reload, keyboard shortcuts.
(function () {
  "use strict";
  var POLL_MS = 5000;
  var NEW_MS = 60000; // how long a ticket that arrived while the queue was open stays highlighted
  var seen = {}; // ticket id -> when it first appeared (0: already there when the page loaded)

  function countdown(el, now) {
    var due = Date.parse(el.getAttribute("data-due"));
    if (isNaN(due)) return;
    var mins = Math.round((due - now) / 60000);
    var abs = Math.abs(mins);
    var span = abs >= 120 ? Math.floor(abs / 60) + " h " + (abs % 60) + " min" : abs + " min";
    el.textContent = mins < 0 ? "overdue " + span : "in " + span;
    var row = el.closest("tr.row");
    if (row && !row.classList.contains("resolved")) row.classList.toggle("overdue", mins < 0);
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-due]").forEach(function (el) { countdown(el, now); });
  }

  function ids(tbody) {
    return Array.prototype.map.call(tbody.querySelectorAll("tr[data-id]"), function (r) {
      return r.getAttribute("data-id");
    });
  }

  function poll(tbody) {
    var url = tbody.getAttribute("data-poll");
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (r) {
        if (r.redirected || !r.ok) throw new Error("poll " + r.status);
        return r.text();
      })
      .then(function (html) {
        var now = Date.now();
        ids(tbody).forEach(function (id) { if (!(id in seen)) seen[id] = 0; });
        var focused = document.activeElement && document.activeElement.closest("tr[data-id]");
        var focusId = focused && focused.getAttribute("data-id");
        tbody.innerHTML = html;
        // a ticket that arrived since the page loaded stays marked for NEW_MS, across polls
        tbody.querySelectorAll("tr[data-id]").forEach(function (r) {
          var id = r.getAttribute("data-id");
          if (!(id in seen)) seen[id] = now;
          if (seen[id] && now - seen[id] < NEW_MS) r.classList.add("new");
        });
        if (focusId) {
          var again = tbody.querySelector('tr[data-id="' + focusId + '"] a.open');
          if (again) again.focus();
        }
        tick();
      })
      .catch(function () { /* next poll tries again */ });
  }

  function keys(e) {
    var t = e.target;
    if (t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA")) return;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var links = Array.prototype.slice.call(document.querySelectorAll("tbody tr[data-id] a.open"));
    var i = links.indexOf(document.activeElement);
    if (e.key === "j" && links.length) { links[Math.min(i + 1, links.length - 1)].focus(); e.preventDefault(); }
    else if (e.key === "k" && links.length) { links[Math.max(i - 1, 0)].focus(); e.preventDefault(); }
    else if (e.key === "/") {
      var f = document.getElementById("f-status");
      if (f) { f.focus(); e.preventDefault(); }
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 1000);
    var tbody = document.getElementById("queue-rows");
    if (tbody) {
      var ms = parseInt(tbody.getAttribute("data-poll-ms"), 10) || POLL_MS;
      setInterval(function () { poll(tbody); }, ms);
    }
    document.addEventListener("keydown", keys);
  });
})();
