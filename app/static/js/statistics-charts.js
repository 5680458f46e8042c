// 党务统计: each canvas fetches its chart's data (labels and series) from its data-url and draws it.
(function () {
  "use strict";
  if (!window.Chart) return;
  var palette = ["#c8161d", "#f0a500", "#2f6fb0", "#3a9d5d", "#8e44ad", "#7f8c8d", "#d35400"];
  document.querySelectorAll(".hk-stat-chart").forEach(function (canvas) {
    fetch(canvas.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (d) {
        var title = canvas.closest(".card-body").querySelector(".hk-chart-title");
        title.textContent = d.title + (d.as_of ? "（" + d.as_of + "）" : "");
        var round = d.kind === "doughnut";
        new window.Chart(canvas, {
          type: d.kind,
          data: {
            labels: d.labels,
            datasets: d.series.map(function (s, i) {
              return {
                label: s.label,
                data: s.values,
                backgroundColor: round ? palette : palette[i % palette.length],
                borderColor: round ? "#fff" : palette[i % palette.length],
              };
            }),
          },
          options: {
            plugins: { legend: { display: round || d.series.length > 1 } },
            scales: round ? {} : { y: { beginAtZero: true } },
          },
        });
      });
  });
})();
