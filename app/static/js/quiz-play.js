/* Question-by-question play (daily quiz, challenge, contest) over /api/v1, and the pieces the
   duel page shares. The server holds the answers and the clock: this file only shows what it says. */
(function () {
  "use strict";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  function api(url, method, body) {
    return fetch(url, {
      method: method || "GET",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(function (response) {
      return response.json().catch(function () { return { success: false, errors: [{ message: hkT("网络异常，请重试。") }] }; })
        .then(function (json) { json.status = response.status; return json; });
    }, function () { return { success: false, status: 0, errors: [{ message: hkT("网络连接中断，请检查网络后重试。") }] }; });
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  var KIND = { single: hkT("单选题"), multiple: hkT("多选题"), true_false: hkT("判断题"), fill: hkT("填空题") };

  function showAnswer(value) {
    if (value === true) return hkT("正确");
    if (value === false) return hkT("错误");
    if (Array.isArray(value)) return value.join(value.length && value[0].length === 1 ? "" : " | ");
    return value === null || value === undefined ? hkT("未作答") : String(value);
  }

  /* Render one question; onAnswer(answer) is called with what the member chose. */
  function renderQuestion(box, q, label, onAnswer) {
    box.innerHTML = "";
    var card = el("div", { class: "card p-3 mb-3", "data-testid": "question", "data-question-id": q.id });
    var head = el("div", { class: "small text-muted mb-1" }, (label ? label + " · " : "") + (KIND[q.kind] || ""));
    var stem = el("p", { class: "fs-6 fw-semibold mb-3" }, q.stem);
    card.appendChild(head); card.appendChild(stem);
    var chosen = [];
    var submit = el("button", { class: "btn btn-danger w-100 mt-2", type: "button", "data-testid": "submit-answer" }, hkT("提交答案"));
    submit.disabled = true;
    function send(answer) {
      Array.prototype.forEach.call(card.querySelectorAll("button,input"), function (b) { b.disabled = true; });
      onAnswer(answer);
    }
    if (q.kind === "true_false") {
      var row = el("div", { class: "d-flex gap-2" });
      [[true, hkT("正确")], [false, hkT("错误")]].forEach(function (pair) {
        var b = el("button", { class: "btn btn-outline-danger btn-lg flex-fill hk-option", type: "button" }, pair[1]);
        b.addEventListener("click", function () { send(pair[0]); });
        row.appendChild(b);
      });
      card.appendChild(row);
    } else if (q.kind === "fill") {
      var input = el("input", { class: "form-control form-control-lg", "aria-label": hkT("填写答案"), autocomplete: "off", "data-testid": "fill-input" });
      input.addEventListener("input", function () { submit.disabled = !input.value.trim(); });
      input.addEventListener("keydown", function (e) { if (e.key === "Enter" && input.value.trim()) send(input.value); });
      submit.addEventListener("click", function () { send(input.value); });
      card.appendChild(input); card.appendChild(submit);
    } else {
      q.options.forEach(function (option) {
        var b = el("button", { class: "btn btn-outline-secondary w-100 text-start mb-2 hk-option", type: "button", "data-key": option.key, "aria-pressed": "false" });
        b.appendChild(el("strong", { class: "me-2" }, option.key));
        b.appendChild(document.createTextNode(option.text));
        b.addEventListener("click", function () {
          if (q.kind === "single") { send(option.key); return; }
          var i = chosen.indexOf(option.key);
          if (i >= 0) chosen.splice(i, 1); else chosen.push(option.key);
          b.classList.toggle("active", i < 0); b.setAttribute("aria-pressed", i < 0 ? "true" : "false");
          submit.disabled = !chosen.length;
        });
        card.appendChild(b);
      });
      if (q.kind === "multiple") { submit.addEventListener("click", function () { send(chosen.slice().sort()); }); card.appendChild(submit); }
    }
    box.appendChild(card);
    return card;
  }

  function renderFeedback(box, result) {
    var ok = result.correct;
    var card = el("div", { class: "alert " + (ok ? "alert-success" : "alert-danger"), role: "status", "data-testid": "feedback" });
    card.appendChild(el("div", { class: "fw-bold" }, ok ? hkT("回答正确") + (result.points_awarded ? "  " + hkT("+{points} 积分", { points: result.points_awarded }) : "") : hkT("回答错误")));
    card.appendChild(el("div", { class: "small" }, hkT("正确答案：{answer}", { answer: showAnswer(result.correct_answer) })));
    if (result.explanation) card.appendChild(el("div", { class: "small mt-1" }, hkT("解析：{text}", { text: result.explanation })));
    box.appendChild(card);
    return card;
  }

  function message(box, text, kind) {
    var node = el("div", { class: "alert alert-" + (kind || "warning"), role: "alert" }, text);
    box.appendChild(node);
    return node;
  }

  window.HKQuiz = { api: api, el: el, renderQuestion: renderQuestion, renderFeedback: renderFeedback, message: message, showAnswer: showAnswer };

  var root = document.getElementById("quiz-play");
  if (!root) return;
  var area = root.querySelector('[data-testid="play-area"]');
  var timer = root.querySelector('[data-testid="timer"]');
  var bar = root.querySelector('[data-testid="progress"]');
  var mode = root.dataset.mode;
  var state = null, deadline = null, tick = null;

  function answerUrl() { return root.dataset.answerUrl.replace(/\/0\/answers$/, "/" + state.attempt_id + "/answers"); }

  function setClock(seconds) {
    deadline = seconds === null || seconds === undefined ? null : Date.now() + seconds * 1000;
    if (tick) clearInterval(tick);
    function draw() {
      if (deadline === null) { timer.textContent = ""; return; }
      var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      timer.textContent = Math.floor(left / 60) + ":" + ("0" + (left % 60)).slice(-2);
      timer.className = "badge fs-6 " + (left <= 10 ? "text-bg-danger" : "text-bg-light");
    }
    draw(); tick = setInterval(draw, 500);
  }

  function progress() {
    var total = mode === "challenge" ? Math.max(state.answered + 1, 1) : state.question_count;
    bar.style.width = Math.min(100, Math.round(100 * state.answered / total)) + "%";
  }

  function nextQuestion() {
    progress();
    if (state.finished) return summary();
    var q;
    if (mode === "challenge") q = state.next;
    else {
      var done = {};
      state.results.forEach(function (r) { done[r.question_id] = true; });
      q = state.questions.filter(function (x) { return !done[x.id]; })[0];
    }
    if (!q) return summary();
    var label = mode === "challenge" ? hkT("第 {n} 题", { n: state.answered + 1 }) : (state.answered + 1) + " / " + state.question_count;
    renderQuestion(area, q, label, function (answer) {
      api(answerUrl(), "POST", { question_id: q.id, answer: answer }).then(function (res) {
        if (!res.success) {
          message(area, res.errors[0].message, res.status === 409 ? "danger" : "warning");
          if (res.status === 409) return reload();
          return;
        }
        var r = res.data;
        state.results.push(r);
        ["finished", "answered", "correct_count", "points", "seconds_left", "next", "end_reason"].forEach(function (k) { if (k in r) state[k] = r[k]; });
        renderFeedback(area, r);
        var next = el("button", { class: "btn btn-danger w-100", type: "button", "data-testid": "next" }, state.finished ? hkT("查看结果") : hkT("下一题"));
        next.addEventListener("click", function () { if (mode === "challenge") setClock(state.seconds_left); nextQuestion(); });
        area.appendChild(next);
        next.focus();
      });
    });
  }

  function summary() {
    setClock(null); bar.style.width = "100%";
    area.innerHTML = "";
    var card = el("div", { class: "card p-4 text-center", "data-testid": "summary" });
    var title = { daily: hkT("今日答题完成"), challenge: hkT("挑战结束"), contest: hkT("竞赛答题完成") }[mode];
    if (state.end_reason === "timeout") title += hkT("（时间到）");
    card.appendChild(el("h2", { class: "h5" }, title));
    var line = mode === "challenge" ? hkT("连续答对 {n} 题", { n: state.correct_count }) : hkT("答对 {correct} / {total} 题", { correct: state.correct_count, total: state.question_count });
    card.appendChild(el("p", { class: "mb-1" }, line));
    card.appendChild(el("p", { class: "fs-4 text-danger fw-bold", "data-testid": "points-earned" }, hkT("+{points} 积分", { points: state.points })));
    var links = el("div", { class: "d-grid gap-2" });
    links.appendChild(el("a", { class: "btn btn-outline-danger", href: root.dataset.pointsUrl }, hkT("查看我的积分")));
    links.appendChild(el("a", { class: "btn btn-link", href: root.dataset.homeUrl }, hkT("返回答题")));
    card.appendChild(links);
    area.appendChild(card);
  }

  function reload() {
    api(root.dataset.startUrl, "POST").then(function (res) {
      if (!res.success) { area.innerHTML = ""; message(area, res.errors[0].message); return; }
      state = res.data;
      setClock(state.finished ? null : state.seconds_left);
      nextQuestion();
    });
  }
  reload();
})();
