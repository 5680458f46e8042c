// Reading a knowledge-base article: the heartbeats of an article lesson (see courses/static/player.js)
//   POST /api/v1/articles/<id>/progress {session_id, seq, position, rate, visible, event}
// every HEARTBEAT seconds while the page is visible, on hide and show, and "ended" once the reader
// reaches the end of the text. position is the visible seconds this page counted; the server keeps its
// own clock and decides what counts (time on page and reaching the end earn the reading point once).
(function () {
  "use strict";
  const box = document.getElementById("kb-reading");
  if (!box) return;
  const data = box.dataset;
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const interval = Math.max(5, Number(data.heartbeat) || 15) * 1000;
  const status = document.getElementById("kb-reading-status");
  const elsewhere = document.getElementById("kb-reading-elsewhere");
  const bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes);
  const sessionId = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  let seq = 0;
  let seconds = 0;
  let sinceBeat = 0;
  let done = false;
  const visible = () => document.visibilityState === "visible";

  function show(result) {
    if (!result) return;
    if (elsewhere) elsewhere.classList.toggle("d-none", result.active !== false);
    if (result.read && status) {
      done = true;
      status.classList.remove("d-none");
    }
  }

  function send(event, isVisible) {
    seq += 1;
    fetch(data.progressUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({
        session_id: sessionId, seq: seq, position: seconds, rate: 1, visible: isVisible, event: event,
      }),
    })
      .then((r) => (r.ok ? r.json() : null))
      .then((body) => show(body && body.data))
      .catch(() => { /* offline for a moment: the next heartbeat carries on */ });
  }

  send("play", visible());
  setInterval(() => {
    if (!visible() || done) return;
    seconds += 1;
    sinceBeat += 1;
    if (sinceBeat * 1000 >= interval) { sinceBeat = 0; send("tick", true); }
  }, 1000);
  document.addEventListener("visibilitychange", () => {
    if (done) return;
    if (visible()) send("play", true);
    else send("hidden", false);
  });
  const end = document.getElementById("kb-reading-end");
  if (end && "IntersectionObserver" in window) {
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) {
        observer.disconnect();
        send("ended", visible());
      }
    });
    observer.observe(end);
  }
})();
