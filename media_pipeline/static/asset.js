// The asset page: poll the status while transcoding; play the result (HLS, else the MP4 fallback).
(function () {
  "use strict";
  const box = document.getElementById("media-asset");
  if (!box) return;
  const player = document.getElementById("media-player");
  if (player) {
    const hls = player.dataset.hls;
    if (hls && window.Hls && window.Hls.isSupported()) {
      const engine = new window.Hls({ xhrSetup: (xhr) => { xhr.withCredentials = true; } });
      engine.loadSource(hls);
      engine.attachMedia(player);
    } else if (hls && player.canPlayType("application/vnd.apple.mpegurl")) {
      player.src = hls;  // Safari and iOS play HLS natively
    } else if (player.dataset.fallback) {
      player.src = player.dataset.fallback;
    }
  }
  // Polls like app/static/js/import-progress.js, kept apart: different status fields and player.
  if (box.dataset.finished === "true") return;
  const bar = document.getElementById("media-progress");
  const state = document.getElementById("media-state");
  async function poll() {
    try {
      const response = await fetch(box.dataset.statusUrl, { headers: { Accept: "application/json" } });
      const body = await response.json();
      if (body.success) {
        if (bar) { bar.style.width = body.data.progress + "%"; bar.textContent = body.data.progress + "%"; }
        if (state) state.textContent = body.data.state_label;
        // Finished, or the first rendition just became watchable: load the page with its player.
        const nowPlayable = body.data.playable && box.dataset.playable !== "true";
        if (body.data.finished || nowPlayable) { window.location.reload(); return; }
      }
    } catch (e) { /* a dropped connection: try again on the next tick */ }
    setTimeout(poll, 2000);
  }
  setTimeout(poll, 1000);
})();
