// The new-ticket form offers help-centre articles while the subject is typed. Without this
// script the form shows a plain "look first" search instead (templates/knowledge/_look_first.html).
(function () {
  "use strict";
  var box = document.querySelector("[data-kb-suggest]");
  var subject = document.getElementById("id_subject");
  if (!box || !subject || !window.fetch) return;
  var panel = box.querySelector("[data-kb-suggestions]");
  var list = panel.querySelector("ul");
  var base = box.getAttribute("data-article-url");
  var url = box.getAttribute("data-suggest-url");
  var attempt = null;
  var timer = null;
  var last = "";

  function show(results) {
    list.textContent = "";
    results.forEach(function (hit) {
      var item = document.createElement("li");
      item.className = "kb-row";
      var link = document.createElement("a");
      link.href = base + encodeURIComponent(hit.article.slug) + "/?via=suggest";
      link.textContent = hit.article.title;
      item.appendChild(link);
      if (hit.article.service) {
        var where = document.createElement("small");
        where.className = "muted";
        where.textContent = " · " + hit.article.service;
        item.appendChild(where);
      }
      list.appendChild(item);
    });
    panel.hidden = results.length === 0;
  }

  function ask() {
    var q = subject.value.trim();
    if (q.length < 3 || q === last) return;
    last = q;
    var query = "?q=" + encodeURIComponent(q) + (attempt ? "&attempt=" + attempt : "");
    fetch(url + query, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) return;
        attempt = data.attempt || attempt;
        show(data.results);
      })
      .catch(function () { /* suggestions are a help, never a hindrance */ });
  }

  subject.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, 400);
  });
})();
