// The ask page: suggest similar questions while the title is typed.
(function () {
  // Suggest similar questions while the title is typed: wait for a pause, and ignore stale answers.
  var input = document.getElementById("title"), box = document.getElementById("similar");
  var list = box.querySelector("ul"), timer = null, latest = 0;
  var solved = window.hkT("已解决"), answers = window.hkT("个回答");
  function show(items) {
    list.replaceChildren();
    items.forEach(function (q) {
      var li = document.createElement("li"), a = document.createElement("a");
      a.href = q.url; a.textContent = q.title; a.target = "_blank"; a.rel = "noopener";
      li.appendChild(a);
      var meta = document.createElement("span");
      meta.className = "text-muted";
      meta.textContent = " · " + (q.is_solved ? solved : q.answers + " " + answers);
      li.appendChild(meta);
      list.appendChild(li);
    });
    box.hidden = items.length === 0;
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    var title = input.value.trim();
    if (title.length < 2) { show([]); return; }
    timer = setTimeout(function () {
      var mine = ++latest;
      fetch(box.dataset.url + "?title=" + encodeURIComponent(title), {headers: {"Accept": "application/json"}})
        .then(function (r) { return r.ok ? r.json() : {data: []}; })
        .then(function (body) { if (mine === latest) show(body.data || []); })
        .catch(function () {});
    }, 300);
  });
})();
