// The scan page: read a member card's QR code with the camera and submit it. The browser's own
// BarcodeDetector when it has one, else jsQR (app/static/vendor/jsQR.js) over video frames drawn on
// a canvas. Pasting the payload stays the fallback when there is no camera or it is refused.
(function () {
  var start = document.getElementById('hk-scan-start');
  var status = document.getElementById('hk-scan-status');
  var video = document.getElementById('hk-scan-video');
  if (!start || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    if (start) { start.classList.add('d-none'); }
    return;
  }
  var canvas = document.createElement('canvas');
  var context = canvas.getContext('2d', { willReadFrequently: true });
  var detector = 'BarcodeDetector' in window ? new window.BarcodeDetector({ formats: ['qr_code'] }) : null;

  function say(text) { status.textContent = text; status.classList.remove('d-none'); }

  function withJsQR() {
    var w = video.videoWidth, h = video.videoHeight;
    if (!w || !h || !window.jsQR) { return Promise.resolve(null); }
    var scale = Math.min(1, 640 / Math.max(w, h));  // phones film in 1080p: a smaller frame is enough
    canvas.width = Math.round(w * scale); canvas.height = Math.round(h * scale);
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    var frame = context.getImageData(0, 0, canvas.width, canvas.height);
    var code = window.jsQR(frame.data, frame.width, frame.height, { inversionAttempts: 'dontInvert' });
    return Promise.resolve(code ? code.data : null);
  }

  function withDetector() {
    return detector.detect(video).then(function (codes) { return codes.length ? codes[0].rawValue : null; },
      function () { detector = null; return null; });  // unsupported here after all: jsQR from now on
  }

  start.addEventListener('click', function () {
    start.disabled = true;
    navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } }).then(function (stream) {
      video.srcObject = stream; video.classList.remove('d-none'); video.play();
      say(window.hkT('请将名片二维码对准摄像头'));
      var tick = function () {
        (detector ? withDetector() : withJsQR()).then(function (payload) {
          if (payload) {
            stream.getTracks().forEach(function (t) { t.stop(); });
            document.getElementById('payload').value = payload;
            say(window.hkT('已读取，正在核验……'));
            document.getElementById('hk-scan-form').submit();
          } else { window.setTimeout(function () { requestAnimationFrame(tick); }, 120); }
        });
      };
      tick();
    }, function () {
      start.disabled = false;
      say(window.hkT('无法打开摄像头，请粘贴名片内容'));
    });
  });
})();
