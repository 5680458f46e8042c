// The scan page: read a member card's QR code with the camera (BarcodeDetector) and submit it.
(function () {
  var start = document.getElementById('hk-scan-start');
  if (!('BarcodeDetector' in window) || !navigator.mediaDevices) { start.classList.add('d-none'); return; }
  start.addEventListener('click', function () {
    var video = document.getElementById('hk-scan-video');
    var detector = new window.BarcodeDetector({formats: ['qr_code']});
    navigator.mediaDevices.getUserMedia({video: {facingMode: 'environment'}}).then(function (stream) {
      video.srcObject = stream; video.classList.remove('d-none'); video.play();
      var tick = function () {
        detector.detect(video).then(function (codes) {
          if (codes.length) {
            stream.getTracks().forEach(function (t) { t.stop(); });
            document.getElementById('payload').value = codes[0].rawValue;
            document.getElementById('hk-scan-form').submit();
          } else { requestAnimationFrame(tick); }
        });
      };
      tick();
    });
  });
})();
