// The agent's composer: search articles and insert a link into the reply. Without this script
// the search opens a page listing the articles with their addresses to copy.
(function () {
  "use strict";
  var box = document.querySelector("[data-kb-composer]");
  if (!box || !window.fetch) return;
  var form = box.querySelector("form");
  var input = form.querySelector("input[type=search]");
  var list = box.querySelector("[data-kb-results]");
  var url = box.getAttribute("data-search-url");

  function insert(text) {
    var body = document.getElementById("id_body");
    if (!body) return;
    var at = body.selectionStart || body.value.length;
    var before = body.value.slice(0, at);
    var gap = before && !/\s$/.test(before) ? " " : "";
    body.value = before + gap + text + " " + body.value.slice(at);
    body.focus();
  }

  function show(hits) {
    list.textContent = "";
    if (!hits.length) {
      var none = document.createElement("li");
      none.className = "muted";
      none.textContent = box.getAttribute("data-none") || "—";
      list.appendChild(none);
    }
    hits.forEach(function (hit) {
      var item = document.createElement("li");
      item.className = "kb-row";
      var title = document.createElement("strong");
      title.textContent = hit.article.title;
      item.appendChild(title);
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button button-secondary kb-insert";
      button.textContent = box.getAttribute("data-insert-label") || "Insert link";
      button.addEventListener("click", function () {
        insert(hit.article.title + ": " + hit.article.url);
      });
      item.appendChild(document.createTextNode(" "));
      item.appendChild(button);
      list.appendChild(item);
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var q = input.value.trim();
    if (!q) return;
    fetch(url + "&q=" + encodeURIComponent(q), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) { return response.ok ? response.json() : []; })
      .then(show)
      .catch(function () { form.submit(); });
  });
})();
