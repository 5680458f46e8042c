/* The duel room: poll the server about once a second and draw what it says. The server decides
   rounds, time-outs, drop-outs and the winner; this page never knows an answer before sending one. */
(function () {
  "use strict";
  var root = document.getElementById("quiz-duel");
  if (!root || !window.HKQuiz) return;
  var Q = window.HKQuiz, el = Q.el;
  var lobby = root.querySelector('[data-testid="duel-lobby"]');
  var room = root.querySelector('[data-testid="duel-room"]');
  var duelId = root.dataset.duelId ? Number(root.dataset.duelId) : null;
  var shownKey = null, timer = null, deadline = null, polling = null, busy = false;

  function url(name) { return root.dataset[name].replace("/0", "/" + duelId); }

  function enter(res) {
    if (!res.success) { Q.message(lobby, res.errors[0].message); return; }
    duelId = res.data.duel_id;
    history.replaceState(null, "", url("roomUrl"));
    lobby.hidden = true;
    draw(res.data); start();
  }

  Array.prototype.forEach.call(root.querySelectorAll('[data-action="match"]'), function (b) {
    b.addEventListener("click", function () { Q.api(root.dataset.matchUrl, "POST", { capacity: Number(b.dataset.capacity) }).then(enter); });
  });
  root.querySelector('[data-action="invite"]').addEventListener("submit", function (e) {
    e.preventDefault();
    Q.api(root.dataset.createUrl, "POST", { invite: e.target.invite.value.trim(), capacity: 2 }).then(enter);
  });

  function players(state) {
    var list = el("div", { class: "d-flex gap-2 mb-3", "data-testid": "duel-players" });
    state.players.forEach(function (p) {
      var card = el("div", { class: "card p-2 flex-fill text-center small" + (p.is_me ? " border border-danger" : "") });
      card.appendChild(el("div", { class: "fw-bold text-truncate" }, p.name + (p.is_me ? hkT("（我）") : "")));
      card.appendChild(el("div", { class: "text-muted text-truncate" }, p.branch));
      card.appendChild(el("div", { class: "fs-4 text-danger" }, String(p.score)));
      card.appendChild(el("div", { class: "text-muted" }, p.left ? hkT("已离开") : (state.status === "active" ? (p.answered ? hkT("已作答") : hkT("思考中…")) : "")));
      list.appendChild(card);
    });
    return list;
  }

  function clock() {
    var badge = room.querySelector('[data-testid="duel-timer"]');
    if (!badge || deadline === null) return;
    badge.textContent = hkT("{seconds} 秒", { seconds: Math.max(0, Math.round((deadline - Date.now()) / 1000)) });
  }

  function draw(state) {
    if (state.duel_id !== duelId) { duelId = state.duel_id; history.replaceState(null, "", url("roomUrl")); }
    var key = state.status + ":" + state.round + ":" + (state.my_answer ? "a" : "q") + ":" + state.players.length;
    var header = room.querySelector('[data-testid="duel-players"]');
    var fresh = players(state);
    if (header && key === shownKey) { header.replaceWith(fresh); return; }
    shownKey = key;
    room.innerHTML = "";
    room.appendChild(fresh);
    if (state.status === "waiting") {
      room.appendChild(el("p", { class: "text-center", "data-testid": "duel-waiting" }, hkT("正在等待对手加入（{joined}/{capacity}）…", { joined: state.players.length, capacity: state.capacity })));
      if (state.invite_code) {
        var link = root.dataset.joinUrl.replace("CODE", state.invite_code);
        room.appendChild(el("p", { class: "small text-muted text-break" }, hkT("邀请链接：{link}", { link: link })));
      }
    } else if (state.status === "active") {
      room.appendChild(el("div", { class: "d-flex justify-content-between mb-2" }));
      var bar = room.lastChild;
      bar.appendChild(el("span", { class: "small" }, hkT("第 {round} / {rounds} 题", { round: state.round, rounds: state.rounds })));
      bar.appendChild(el("span", { class: "badge text-bg-danger", "data-testid": "duel-timer" }));
      deadline = state.seconds_left === null ? null : Date.now() + state.seconds_left * 1000; clock();
      var box = el("div"); room.appendChild(box);
      if (state.my_answer) {
        Q.renderFeedback(box, state.my_answer);
        box.appendChild(el("p", { class: "small text-muted text-center" }, hkT("等待本轮结束…")));
      } else if (state.question) {
        Q.renderQuestion(box, state.question, null, function (answer) {
          Q.api(url("answerUrl"), "POST", { question_id: state.question.id, answer: answer }).then(function (res) {
            if (!res.success) Q.message(box, res.errors[0].message);
            poll();
          });
        });
      }
    } else {
      deadline = null;
      var result = el("div", { class: "card p-4 text-center", "data-testid": "duel-result" });
      var text = state.status === "cancelled" ? hkT("房间已关闭") : state.winner ? (state.winner.is_me ? hkT("你赢了！") : hkT("胜者：{name}", { name: state.winner.name })) : (state.draw ? hkT("平局") : hkT("对战结束"));
      result.appendChild(el("h2", { class: "h4", "data-testid": "duel-winner" }, text));
      if (state.winner) result.appendChild(el("p", { class: "small text-muted", "data-testid": "duel-winner-name" }, hkT("获胜者：{name}", { name: state.winner.name })));
      if (state.status === "finished") result.appendChild(el("p", { class: "text-danger fw-bold" }, hkT("+{points} 积分", { points: state.my_points || 0 })));
      var again = el("a", { class: "btn btn-danger", href: root.dataset.lobbyUrl }, hkT("再来一局"));
      result.appendChild(again);
      room.appendChild(result);
      stop();
    }
    if (state.status === "waiting" || state.status === "active") {
      var leave = el("button", { class: "btn btn-link btn-sm text-muted w-100 mt-3", type: "button", "data-testid": "duel-leave" }, state.status === "waiting" ? hkT("取消匹配") : hkT("退出对战（判负）"));
      leave.addEventListener("click", function () {
        if (state.status === "active" && !confirm(hkT("退出即判负，确定退出吗？"))) return;
        Q.api(url("leaveUrl"), "POST").then(function (res) { if (res.success) draw(res.data); });
      });
      room.appendChild(leave);
    }
  }

  function poll() {
    if (busy || !duelId) return;
    busy = true;
    Q.api(url("pollUrl")).then(function (res) {
      busy = false;
      if (res.success) draw(res.data);
      else if (res.status === 403 || res.status === 404) { stop(); Q.message(room, res.errors[0].message); }
    });
  }
  function start() { stop(); polling = setInterval(poll, 1000); timer = setInterval(clock, 250); }
  function stop() { if (polling) clearInterval(polling); if (timer) clearInterval(timer); polling = timer = null; }

  if (duelId) { lobby.hidden = true; poll(); start(); }
})();
