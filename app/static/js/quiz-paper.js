/* An exam paper: a countdown of the server's deadline and answers saved as the member goes.
   The server refuses saves after its deadline and grades on submission. */
(function () {
  "use strict";
  var form = document.getElementById("quiz-paper");
  if (!form) return;
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var status = document.querySelector('[data-testid="save-status"]');
  var timer = document.querySelector('[data-testid="timer"]');
  if (timer) {
    var end = Date.now() + Number(timer.dataset.secondsLeft) * 1000;
    var draw = function () {
      var left = Math.max(0, Math.round((end - Date.now()) / 1000));
      timer.textContent = Math.floor(left / 60) + ":" + ("0" + (left % 60)).slice(-2);
      if (left === 0) { clearInterval(handle); form.submit(); }
    };
    var handle = setInterval(draw, 500); draw();
  }
  form.addEventListener("change", function (event) {
    var fieldset = event.target.closest("fieldset");
    if (!fieldset) return;
    var id = fieldset.dataset.questionId;
    var values = Array.prototype.filter.call(fieldset.querySelectorAll("input"), function (i) {
      return (i.type !== "radio" && i.type !== "checkbox") || i.checked;
    }).map(function (i) { return i.value; });
    var answers = {}; answers[id] = values.length > 1 ? values : (values[0] || null);
    fetch(form.dataset.saveUrl, {
      method: "PUT", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ answers: answers }),
    }).then(function (r) { return r.json(); }).then(function (res) {
      status.textContent = res.success ? hkT("已自动保存") : res.errors[0].message;
    }, function () { status.textContent = hkT("网络异常，答案将在交卷时提交"); });
  });
})();
