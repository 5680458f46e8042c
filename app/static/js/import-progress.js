// Polls an import job until it finishes, then reloads to show the report.
(function () {
  const box = document.getElementById("import-job");
  if (!box || box.dataset.finished === "true") return;
  const bar = document.getElementById("import-progress");
  async function poll() {
    try {
      const response = await fetch(box.dataset.statusUrl, { headers: { Accept: "application/json" } });
      const body = await response.json();
      if (body.success) {
        bar.style.width = body.data.percent + "%";
        bar.textContent = body.data.percent + "%";
        if (body.data.finished) { window.location.reload(); return; }
      }
    } catch (e) { /* a dropped connection: try again on the next tick */ }
    setTimeout(poll, 1000);
  }
  setTimeout(poll, 500);
})();
