// The night report's charts, drawn by Chart.js (vendored: static/vendor/, MIT) from the JSON the
// page carries. No animation: the page is read once, and printed or screenshotted as it is.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  if (typeof Chart === "undefined") { return; }
  Chart.defaults.animation = false;
  Chart.defaults.font.size = 14;
  Chart.defaults.maintainAspectRatio = false;
  var COLORS = { emergency: "#b00020", urgent: "#b35f00", routine: "#0b4f9c" };
  var SERIES = ["#b00020", "#0b6b2e", "#0b4f9c", "#6b7385", "#5a2d82", "#e08a00", "#2a9d8f", "#a0a7b5"];
  var intAxis = { beginAtZero: true, ticks: { precision: 0 } };

  function bar(id, labels, counts, colors) {
    var el = document.getElementById(id);
    if (!el) { return; }
    new Chart(el, {
      type: "bar",
      data: { labels: labels, datasets: [{ data: counts, backgroundColor: colors }] },
      options: { plugins: { legend: { display: false } }, scales: { y: intAxis } },
    });
  }

  var d = data.dispositions;
  bar("chart-dispositions", d.labels, d.counts, d.labels.map(function (l) { return COLORS[l]; }));
  bar("chart-pages", data.pages.labels, data.pages.counts, ["#0b4f9c", "#0b6b2e", "#b00020"]);
  bar("chart-callbacks", data.callbacks.labels, data.callbacks.counts, ["#0b6b2e", "#b00020", "#6b7385"]);
  var o = data.outcomes;
  var el = document.getElementById("chart-outcomes");
  if (el) {
    new Chart(el, {
      type: "bar",
      data: {
        labels: o.labels,
        datasets: o.series.map(function (s, i) {
          return { label: s.label, data: s.counts, backgroundColor: SERIES[i % SERIES.length] };
        }),
      },
      options: { indexAxis: "y", scales: { x: Object.assign({ stacked: true }, intAxis), y: { stacked: true } } },
    });
  }
})();
