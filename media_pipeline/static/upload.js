// Resumable chunked upload of one media file (protocol: media_pipeline/views.py).
// The server's "received" offset is the truth: after a dropped connection, a reload or choosing
// the same file again, the upload continues from there instead of starting over.
(function () {
  "use strict";
  const box = document.getElementById("media-upload");
  if (!box) return;
  const input = document.getElementById("media-file");
  const bar = document.getElementById("media-progress");
  const message = document.getElementById("media-message");
  const startButton = document.getElementById("media-start");
  const pauseButton = document.getElementById("media-pause");
  const csrf = box.dataset.csrf;
  const maxBytes = Number(box.dataset.maxBytes);
  let paused = false;
  let running = false;

  function say(text, kind) {
    message.textContent = text;
    message.className = "small mb-2 " + (kind === "error" ? "text-danger" : kind === "ok" ? "text-success" : "");
  }
  function show(done, total) {
    const percent = total ? Math.floor((done / total) * 100) : 0;
    bar.style.width = percent + "%";
    bar.textContent = percent + "%";
  }
  function storageKey(file) {
    return "hongke-upload:" + file.name + ":" + file.size + ":" + file.lastModified;
  }
  function sleep(ms) { return new Promise((resolve) => setTimeout(resolve, ms)); }
  async function json(method, url, body) {
    const response = await fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: body ? JSON.stringify(body) : undefined,
    });
    let data = {};
    try { data = await response.json(); } catch (e) { /* not JSON: an error page */ }
    return { status: response.status, body: data };
  }
  function errorText(result) {
    const errors = result.body && result.body.errors;
    return errors && errors.length ? errors[0].message : hkT("上传失败（HTTP {status}）", { status: result.status });
  }

  // One chunk through XMLHttpRequest, for a progress bar that moves within the chunk.
  function putChunk(url, file, offset, chunkSize) {
    const end = Math.min(offset + chunkSize, file.size);
    return new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open("PUT", url);
      xhr.setRequestHeader("Content-Range", "bytes " + offset + "-" + (end - 1) + "/" + file.size);
      xhr.setRequestHeader("Content-Type", "application/octet-stream");
      xhr.setRequestHeader("X-CSRFToken", csrf);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = (event) => show(offset + event.loaded, file.size);
      xhr.onload = () => {
        let body = {};
        try { body = JSON.parse(xhr.responseText); } catch (e) { /* keep {} */ }
        resolve({ status: xhr.status, body: body });
      };
      xhr.onerror = () => resolve({ status: 0, body: {} });
      xhr.send(file.slice(offset, end));
    });
  }

  async function openUpload(file) {
    const key = storageKey(file);
    const saved = localStorage.getItem(key);
    if (saved) {
      const state = await json("GET", box.dataset.startUrl + "/" + saved);
      if (state.status === 200 && state.body.data.asset_id === null) {
        return { id: saved, url: box.dataset.startUrl + "/" + saved, received: state.body.data.received,
                 chunk: Number(localStorage.getItem(key + ":chunk")) || 8 * 1024 * 1024 };
      }
      localStorage.removeItem(key);
    }
    const start = { filename: file.name, size: file.size };
    if (box.dataset.purpose) start.purpose = box.dataset.purpose;  // "work": a member's video for a work
    const created = await json("POST", box.dataset.startUrl, start);
    if (created.status !== 201) throw new Error(errorText(created));
    localStorage.setItem(key, created.body.data.upload_id);
    localStorage.setItem(key + ":chunk", created.body.data.chunk_size);
    return { id: created.body.data.upload_id, url: created.body.data.url, received: 0,
             chunk: created.body.data.chunk_size };
  }

  async function run() {
    const file = input.files[0];
    if (!file || running) return;
    if (file.size === 0) { say(hkT("文件是空的（0 字节），请重新选择文件。"), "error"); return; }
    if (file.size > maxBytes) { say(hkT("文件超过大小上限。"), "error"); return; }
    running = true; paused = false;
    startButton.disabled = true; pauseButton.disabled = false; input.disabled = true;
    try {
      const upload = await openUpload(file);
      let offset = upload.received;
      if (offset > 0) say(hkT("从断点继续上传……"));
      else say(hkT("正在上传……"));
      let failures = 0;
      while (offset < file.size) {
        if (paused) { say(hkT("已暂停，点击“开始上传”继续。")); return; }
        const result = await putChunk(upload.url, file, offset, upload.chunk);
        if (result.status === 200) {
          offset = result.body.data.received; failures = 0;
        } else if (result.body && typeof result.body.received === "number" && result.status !== 413) {
          offset = result.body.received;  // out of step, or cut off mid-chunk: go on from the server's offset
          if (result.status === 400) failures += 1;
        } else if (result.status === 0 || result.status >= 500) {
          failures += 1;
          const wait = Math.min(30, 2 ** failures);
          say(hkT("网络中断，{wait} 秒后自动重试（第 {failures} 次）……", { wait: wait, failures: failures }), "error");
          await sleep(wait * 1000);
          const state = await json("GET", upload.url).catch(() => ({ status: 0 }));
          if (state.status === 200) offset = state.body.data.received;
        } else {
          throw new Error(errorText(result));
        }
        show(offset, file.size);
      }
      say(hkT("上传完成，正在检测文件……"));
      const done = await json("POST", upload.url + "/complete");
      localStorage.removeItem(storageKey(file));
      localStorage.removeItem(storageKey(file) + ":chunk");
      if (done.status !== 201) throw new Error(errorText(done));
      say(hkT("文件检测通过，已开始转码。"), "ok");
      window.location.href = box.dataset.doneUrl || box.dataset.startUrl.replace(/uploads$/, "") + done.body.data.id;
    } catch (error) {
      say(error.message || String(error), "error");
    } finally {
      running = false;
      startButton.disabled = false; pauseButton.disabled = true; input.disabled = false;
    }
  }

  input.addEventListener("change", () => { startButton.disabled = !input.files.length; show(0, 1); say(""); });
  startButton.addEventListener("click", run);
  pauseButton.addEventListener("click", () => { paused = true; });
})();
