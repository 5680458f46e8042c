// The live interview page: fetch the answers every few seconds and show the new ones (as text).
(function () {
  var box = document.getElementById("live-answers");
  if (!box || !box.dataset.feed) return;
  var shown = box.querySelectorAll(".card").length;
  var ask = hkT("问："), reply = hkT("答：");
  function render(items) {
    items.slice(shown).forEach(function (item) {
      var card = document.createElement("div"), q = document.createElement("div"), a = document.createElement("div");
      card.className = "card p-2 mb-2";
      q.className = "fw-bold small"; q.style.overflowWrap = "anywhere"; q.textContent = ask + item.question;
      a.className = "small"; a.style.whiteSpace = "pre-line"; a.style.overflowWrap = "anywhere"; a.textContent = reply + item.answer;
      card.appendChild(q); card.appendChild(a); box.appendChild(card);
    });
    shown = Math.max(shown, items.length);
  }
  function poll() {
    fetch(box.dataset.feed, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body || !body.data) return;
        render(body.data.answers);
        if (body.data.phase === "live") setTimeout(poll, 5000);
      })
      .catch(function () { setTimeout(poll, 15000); });
  }
  setTimeout(poll, 5000);
})();
