// The lesson form: show the sections that fit the lesson's kind, and tie the media pipeline's
// resumable uploader (media_pipeline/static/upload.js, used as is) to the lesson: when an upload
// completes, the new asset's id goes into the form instead of leaving the page, and its
// transcoding state is shown until it is ready or failed.
(function () {
  "use strict";
  const form = document.getElementById("lesson-form");
  if (!form) return;
  const kindField = document.getElementById(form.dataset.kindField);
  const assetField = document.getElementById("media_asset_id");
  const assetBox = document.getElementById("lesson-asset");
  const choose = document.getElementById("choose-asset");

  function showKind() {
    const kind = kindField.value;
    form.querySelectorAll("[data-for-kinds]").forEach((section) => {
      section.classList.toggle("d-none", !section.dataset.forKinds.split(" ").includes(kind));
    });
  }
  kindField.addEventListener("change", showKind);
  showKind();

  function statusUrl(id) {
    return assetBox.dataset.statusUrlTemplate.replace(/\/0\/status$/, "/" + id + "/status");
  }

  function render(asset) {
    const badge = asset.status === "ready" ? "text-bg-success" : asset.status === "failed" ? "text-bg-danger" : "text-bg-warning";
    // The server's words: percentage and time left, "watchable, higher qualities on the way", or
    // "worker restarted, resuming" (media_pipeline.services.reading.state_label).
    const label = asset.state_label || asset.status_label;
    assetBox.replaceChildren();
    const line = document.createElement("div");
    line.textContent = hkT("音视频 #{id} ", { id: asset.id });
    const span = document.createElement("span");
    span.className = "badge " + badge;
    span.id = "lesson-asset-status";
    span.dataset.testid = "asset-status";
    span.textContent = label;
    line.appendChild(span);
    assetBox.appendChild(line);
    if (asset.error) {
      const error = document.createElement("div");
      error.className = "text-danger";
      error.dataset.testid = "asset-error";
      error.textContent = asset.error;
      assetBox.appendChild(error);
    }
    if (asset.status === "ready" || asset.playable) {
      const hint = document.createElement("div");
      hint.className = "text-success";
      hint.textContent = hkT("已可播放。保存课时后生效。");
      assetBox.appendChild(hint);
    }
  }

  let polling = null;
  function watch(id) {
    if (polling) clearTimeout(polling);
    async function poll() {
      try {
        const response = await fetch(statusUrl(id), { headers: { Accept: "application/json" }, credentials: "same-origin" });
        if (response.status === 403 || response.status === 404) return; // another trainer's upload
        const body = await response.json();
        if (body.success && String(assetField.value) === String(id)) {
          render(body.data);
          if (body.data.finished) return;
        }
      } catch (e) { /* a dropped connection: try again */ }
      polling = setTimeout(poll, 2000);
    }
    poll();
  }

  function useAsset(asset) {
    assetField.value = asset.id;
    render(asset);
    if (!asset.finished) watch(asset.id);
  }

  // The uploader ends by fetching ".../uploads/<id>/complete" and then leaves for the asset page.
  // Take the answer here and keep the trainer on the lesson form (the promise upload.js awaits
  // never settles, so it does not navigate away).
  const realFetch = window.fetch.bind(window);
  window.fetch = async function (url, options) {
    const response = await realFetch(url, options);
    const method = ((options && options.method) || "GET").toUpperCase();
    if (method === "POST" && /\/uploads\/[0-9a-f]{32}\/complete$/.test(String(url)) && response.status === 201) {
      const body = await response.clone().json();
      const message = document.getElementById("media-message");
      if (message) { message.textContent = hkT("上传完成，文件检测通过。"); message.className = "small mb-2 text-success"; }
      document.getElementById("media-file").disabled = false;
      document.getElementById("media-pause").disabled = true;
      useAsset(body.data);
      return new Promise(() => {});
    }
    return response;
  };

  if (choose) {
    choose.addEventListener("change", () => {
      if (!choose.value) { assetField.value = ""; return; }
      assetField.value = choose.value;
      watch(choose.value);
    });
  }
  if (assetBox.dataset.assetId && assetBox.dataset.finished !== "true") watch(assetBox.dataset.assetId);
})();
