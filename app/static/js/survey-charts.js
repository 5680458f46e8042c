// Survey results: one horizontal bar chart per choice or rating question (data in data-chart).
(function () {
  if (!window.Chart) return;
  document.querySelectorAll(".hk-chart").forEach(function (canvas) {
    var d = JSON.parse(canvas.dataset.chart);
    new Chart(canvas, {
      type: "bar",
      data: { labels: d.labels, datasets: [{ data: d.values, backgroundColor: "#c8161d" }] },
      options: {
        indexAxis: "y",
        plugins: { legend: { display: false } },
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
  });
})();
