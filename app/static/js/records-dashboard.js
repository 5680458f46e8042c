// The coordinator dashboard's chart: average hours per branch, from the page's chart-data block.
(function () {
  "use strict";
  const data = document.getElementById("chart-data");
  if (!data || !window.Chart) return;
  const d = JSON.parse(data.textContent);
  new window.Chart(document.getElementById("hours-chart"), {
    type: "bar",
    data: { labels: d.labels, datasets: [{ label: window.hkT("人均学时"), data: d.values, backgroundColor: "#c8161d" }] },
    options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true } } },
  });
})();
