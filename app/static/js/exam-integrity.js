/* Exam integrity: report leaving the exam page, copying, pasting and leaving full screen.
   Each report carries the page's clock; the server stamps its own time (the one it trusts), counts
   the switches itself and hands the paper in when the exam's limit is reached. */
(function () {
  "use strict";
  var box = document.getElementById("exam-integrity");
  if (!box) return;
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var count = box.querySelector('[data-testid="switch-count"]');
  var done = false;

  function report(kind) {
    if (done) return;
    fetch(box.dataset.eventsUrl, {
      method: "POST", credentials: "same-origin", keepalive: true,
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ kind: kind, client_time: Date.now() }),
    }).then(function (r) {
      if (r.status === 409) { done = true; window.location.assign(box.dataset.resultUrl); return null; }
      return r.json();
    }).then(function (res) {
      if (!res || !res.success) return;
      count.textContent = res.data.switch_count;
      if (res.data.submitted) { done = true; window.location.assign(box.dataset.resultUrl); }
    }, function () { /* offline: the next report still counts on the server */ });
  }

  window.addEventListener("blur", function () { report("blur"); });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") report("hidden");
  });
  document.addEventListener("copy", function () { report("copy"); });
  document.addEventListener("paste", function () { report("paste"); });
  var wasFull = false;
  document.addEventListener("fullscreenchange", function () {
    if (document.fullscreenElement) { wasFull = true; return; }
    if (wasFull) { wasFull = false; report("fullscreen_exit"); }
  });
  var full = box.querySelector("[data-fullscreen]");
  if (full && document.documentElement.requestFullscreen) {
    full.addEventListener("click", function () { document.documentElement.requestFullscreen().catch(function () {}); });
  } else if (full) { full.hidden = true; }
})();
