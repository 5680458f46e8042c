// The lesson player: HLS through hls.js (native HLS where the browser has no MediaSource, MP4 as a
// fallback), quality and speed menus, resume, keyboard and touch controls, the "next lesson" card,
// and the progress heartbeats of the learning-hours contract:
//   POST /api/v1/lessons/<id>/progress {session_id, seq, position, rate, visible, event}
// every HEARTBEAT seconds while playing and on play / pause / seek / ended / hidden. The server
// decides what counts; when it answers active: false another page took over and this one stops.
// Article and document lessons send the same heartbeats with position = visible seconds on the page
// and "ended" once the reader reaches the end of the text.
(function () {
  "use strict";
  const box = document.getElementById("lesson-player");
  if (!box) return;
  const data = box.dataset;
  const kind = data.kind;
  const preview = data.preview === "true";
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const interval = Math.max(5, Number(data.heartbeat) || 15) * 1000;
  const duration = Number(data.duration) || 0;
  const notice = document.getElementById("player-notice");
  const stateLabel = document.getElementById("player-state");
  const progressLabel = document.getElementById("lesson-progress-label");
  const progressBar = document.querySelector(".hk-progress .progress-bar");
  const nextCard = document.getElementById("next-lesson");
  const outline = document.querySelector(".hk-outline-card");
  if (outline && window.matchMedia("(min-width: 992px)").matches) outline.open = true; // beside the player

  // --- heartbeats -------------------------------------------------------------------------------
  function randomId() {
    const bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  const sessionId = randomId();
  let seq = 0;
  let stopped = preview;

  function showNotice(text) {
    notice.textContent = text;
    notice.classList.remove("d-none");
  }

  function showProgress(result) {
    if (!result) return;
    const percent = Math.min(100, Math.round((result.covered_ratio || 0) * 100));
    if (progressBar) progressBar.style.width = percent + "%";
    if (progressLabel) progressLabel.textContent = result.completed ? hkT("已完成") : hkT("已学 {percent}%", { percent: percent });
  }

  function send(event, position, rate, visible) {
    if (stopped) return;
    seq += 1;
    const body = {
      session_id: sessionId,
      seq: seq,
      position: Math.max(0, Math.round(position * 100) / 100),
      rate: rate,
      visible: visible,
      event: event,
    };
    fetch(data.progressUrl, {
      method: "POST",
      credentials: "same-origin",
      keepalive: event === "hidden" || event === "pause",  // survives the page being closed
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body),
    })
      .then((response) => response.json().then((json) => ({ status: response.status, json: json })))
      .then(({ status, json }) => {
        if (json && json.success) {
          showProgress(json.data);
          if (json.data.presence_check) askPresence(json.data.presence_check);
          if (json.data.presence_stopped) {
            stopped = true;
            showNotice(hkT("多次未完成学习确认，本次播放已停止计时，请刷新页面后继续学习。"));
            if (media && !media.paused) media.pause();
          }
          if (json.data.active === false) {
            stopped = true;
            showNotice(hkT("已在其他页面播放，本页面不再记录学习进度。"));
            if (media && !media.paused) media.pause();
          }
        } else if (status === 403 || status === 404) {
          stopped = true;
          const message = json && json.errors && json.errors[0] ? json.errors[0].message : "";
          showNotice(message || hkT("无法记录学习进度。"));
        }
      })
      .catch(() => { /* offline for a moment: the next heartbeat carries the position */ });
  }

  // --- the presence check (防挂机) -----------------------------------------------------------------
  // The server asks in a heartbeat's answer; the digits come only as an image. Media pauses until the
  // member types them; a wrong answer brings new digits.
  const presenceForm = document.getElementById("presence-check");
  let presence = null;

  function askPresence(check) {
    if (!presenceForm || (presence && presence.id === check.id)) return;
    presence = check;
    if (media && !media.paused) media.pause();
    document.getElementById("presence-image").src = check.image_url;
    const input = document.getElementById("presence-code");
    input.value = "";
    presenceForm.classList.remove("d-none");
    input.focus();
  }

  if (presenceForm) {
    presenceForm.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!presence) return;
      const message = document.getElementById("presence-message");
      fetch(presence.answer_url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({ code: document.getElementById("presence-code").value }),
      })
        .then((response) => response.json())
        .then((json) => {
          if (!json || !json.success) {
            const error = json && json.errors && json.errors[0] ? json.errors[0].message : "";
            message.textContent = error || presenceForm.dataset.textFailed;
            return;
          }
          if (json.data.passed) {
            presence = null;
            message.textContent = "";
            presenceForm.classList.add("d-none");
            if (media && media.paused && !media.ended) media.play();
          } else if (json.data.presence_check) {
            message.textContent = json.data.message || presenceForm.dataset.textWrong;
            presence = null;
            askPresence(json.data.presence_check);
          } else {
            stopped = true;
            presenceForm.classList.add("d-none");
            showNotice(json.data.message);
          }
        })
        .catch(() => { message.textContent = presenceForm.dataset.textFailed; });
    });
  }

  // --- media lessons ----------------------------------------------------------------------------
  const media = document.getElementById("lesson-media");
  if (media) setUpMedia(media);
  else if (kind === "article" || kind === "document") setUpReading();

  function setUpMedia(media) {
    const qualitySelect = document.getElementById("player-quality");
    const rateSelect = document.getElementById("player-rate");
    const maxRate = Number(data.maxRate) || 2;
    let hls = null;
    let timer = null;
    let resumed = false;
    let lastTap = 0;

    function say(text) { if (stateLabel) stateLabel.textContent = text; }

    function attach() {
      const Hls = window.Hls;
      if (data.hls && Hls && Hls.isSupported()) {
        hls = new Hls({ xhrSetup: (xhr) => { xhr.withCredentials = true; }, startLevel: -1 });
        hls.on(Hls.Events.MANIFEST_PARSED, (_event, info) => {
          if (!qualitySelect) return;
          info.levels.forEach((level, index) => {
            const option = document.createElement("option");
            option.value = String(index);
            option.textContent = level.height ? level.height + "p" : Math.round(level.bitrate / 1000) + " kbps";
            qualitySelect.appendChild(option);
          });
        });
        hls.on(Hls.Events.ERROR, (_event, error) => {
          if (!error.fatal) return;
          if (error.type === Hls.ErrorTypes.NETWORK_ERROR) hls.startLoad();
          else if (error.type === Hls.ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
          else if (data.fallback) { hls.destroy(); hls = null; media.src = data.fallback; }
        });
        hls.loadSource(data.hls);
        hls.attachMedia(media);
      } else if (data.hls && media.canPlayType("application/vnd.apple.mpegurl")) {
        media.src = data.hls; // Safari, iOS: native HLS picks the quality itself
        if (qualitySelect) qualitySelect.disabled = true;
      } else if (data.fallback) {
        media.src = data.fallback;
        if (qualitySelect) qualitySelect.disabled = true;
      } else {
        showNotice(hkT("您的浏览器无法播放此视频。"));
      }
    }

    if (qualitySelect) {
      qualitySelect.addEventListener("change", () => {
        if (hls) hls.currentLevel = Number(qualitySelect.value); // -1 = automatic
      });
    }
    if (rateSelect) {
      rateSelect.addEventListener("change", () => {
        media.playbackRate = Math.min(maxRate, Number(rateSelect.value) || 1);
      });
    }
    media.addEventListener("ratechange", () => {
      if (media.playbackRate > maxRate) media.playbackRate = maxRate; // the menu is not the only way
    });

    function resume() {
      if (resumed) return;
      resumed = true;
      const at = Number(data.resume) || 0;
      const length = media.duration || duration;
      if (at >= 1 && (!length || at < length - 1)) {
        media.currentTime = at;
        say(hkT("已从上次位置 {time} 继续", { time: clock(at) }));
      }
    }
    media.addEventListener("loadedmetadata", resume);

    function beat(event) {
      send(event, media.currentTime || 0, media.playbackRate || 1, document.visibilityState === "visible");
    }
    function startTicking() {
      stopTicking();
      timer = setInterval(() => { if (!media.paused && !media.ended) beat("tick"); }, interval);
    }
    function stopTicking() { if (timer) { clearInterval(timer); timer = null; } }

    media.addEventListener("play", () => { nextCard.classList.add("d-none"); beat("play"); startTicking(); });
    media.addEventListener("pause", () => { if (!media.ended) { beat("pause"); stopTicking(); } });
    media.addEventListener("seeked", () => { if (resumed) beat("seek"); });
    media.addEventListener("ended", () => {
      beat("ended");
      stopTicking();
      nextCard.classList.remove("d-none");
    });
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") beat("hidden");
      else if (!media.paused) beat("play");
    });
    window.addEventListener("pagehide", () => { if (!media.paused) beat("pause"); });

    // Keyboard: space / k play-pause, ← → 10 s, ↑ ↓ speed, f fullscreen, m mute.
    document.addEventListener("keydown", (event) => {
      const tag = (event.target.tagName || "").toLowerCase();
      if (tag === "input" || tag === "textarea" || tag === "select" || event.target.isContentEditable) return;
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      let handled = true;
      switch (event.key) {
        case " ": case "k": media.paused ? media.play() : media.pause(); break;
        case "ArrowLeft": jump(-10); break;
        case "ArrowRight": jump(10); break;
        case "ArrowUp": setRate(+0.25); break;
        case "ArrowDown": setRate(-0.25); break;
        case "f": fullscreen(); break;
        case "m": media.muted = !media.muted; break;
        default: handled = false;
      }
      if (handled) event.preventDefault();
    });

    // Touch: double-tap the left or right third of the video to go back or forward 10 s.
    const wrap = media.closest(".hk-video-wrap");
    if (wrap) {
      wrap.addEventListener("touchend", (event) => {
        const now = Date.now();
        if (now - lastTap < 300 && event.changedTouches.length) {
          const rect = media.getBoundingClientRect();
          const x = event.changedTouches[0].clientX - rect.left;
          if (x < rect.width / 3) { jump(-10); event.preventDefault(); }
          else if (x > (rect.width * 2) / 3) { jump(10); event.preventDefault(); }
          lastTap = 0;
        } else {
          lastTap = now;
        }
      });
    }

    function jump(seconds) {
      const target = Math.max(0, Math.min((media.duration || 0) - 0.5, media.currentTime + seconds));
      media.currentTime = target;
      const hint = document.getElementById("seek-hint");
      if (hint) {
        hint.textContent = hkT("{seconds} 秒", { seconds: (seconds > 0 ? "+" : "") + seconds });
        hint.classList.add("show");
        setTimeout(() => hint.classList.remove("show"), 600);
      }
    }
    function setRate(step) {
      const rate = Math.max(0.5, Math.min(maxRate, (media.playbackRate || 1) + step));
      media.playbackRate = rate;
      if (rateSelect) {
        const match = Array.from(rateSelect.options).find((o) => Number(o.value) === rate);
        if (match) rateSelect.value = match.value;
      }
      say(rate + "×");
    }
    function fullscreen() {
      const target = media.closest(".hk-video-wrap") || media;
      if (document.fullscreenElement) document.exitFullscreen();
      else if (target.requestFullscreen) target.requestFullscreen();
      else if (media.webkitEnterFullscreen) media.webkitEnterFullscreen(); // iOS
    }

    // hls.js is loaded with "defer" before this script, so it is there by now.
    attach();
  }

  function clock(seconds) {
    const s = Math.floor(seconds);
    const m = Math.floor(s / 60);
    return m + ":" + String(s % 60).padStart(2, "0");
  }

  // --- article and document lessons ---------------------------------------------------------------
  function setUpReading() {
    const end = document.getElementById("reading-end");
    let seconds = 0;
    let reachedEnd = false;
    let sinceBeat = 0;
    const visible = () => document.visibilityState === "visible";
    const position = () => (duration > 0 ? Math.min(seconds, duration) : seconds);

    send("play", 0, 1, visible());
    setInterval(() => {
      if (!visible() || stopped) return;
      seconds += 1;
      sinceBeat += 1;
      if (sinceBeat * 1000 >= interval) { sinceBeat = 0; send("tick", position(), 1, true); }
    }, 1000);
    document.addEventListener("visibilitychange", () => {
      if (visible()) send("play", position(), 1, true);
      else send("hidden", position(), 1, false);
    });
    if (end && "IntersectionObserver" in window) {
      const observer = new IntersectionObserver((entries) => {
        if (entries.some((e) => e.isIntersecting) && !reachedEnd) {
          reachedEnd = true;
          observer.disconnect();
          send("ended", position(), 1, visible());
          if (nextCard) nextCard.classList.remove("d-none");
        }
      });
      observer.observe(end);
    }
  }
})();
