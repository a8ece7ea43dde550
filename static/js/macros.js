// The composer's macro picker (templates/agent/_macro_picker.html). Without this script the
// picker's links reload the page with ?macro=ID and the server fills the composer; with it,
// typing in the search narrows the list at once, and choosing a macro fetches its preview
// (tickets/views/macros.py) and puts its text in the message box in place, keeping whatever
// was typed. Nothing is sent: the agent reads, changes and sends with the composer's buttons.
// Texts go in through textContent and .value: nothing is parsed as HTML.
(function () {
  "use strict";
  var picker = document.querySelector("[data-macro-picker]");
  var box = document.querySelector("[data-macro-preview]");
  var body = document.querySelector("#composer-form textarea[name=body]");
  if (!picker || !box || !body || !window.fetch) return;
  var search = picker.querySelector("input[name=macro_q]");
  var none = picker.querySelector("[data-macro-none]");
  var status = document.querySelector("[data-macro-status]");
  var items = Array.prototype.slice.call(picker.querySelectorAll("li[data-macro-text]"));

  function narrow() {
    var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    items.forEach(function (item) {
      var text = item.getAttribute("data-macro-text");
      var match = words.every(function (word) { return text.indexOf(word) !== -1; });
      item.hidden = !match;
      if (match) shown += 1;
    });
    if (none) none.hidden = shown > 0 || items.length === 0;
  }

  function insert(text) {
    var typed = body.value.replace(/\s+$/, "");
    body.value = typed ? typed + "\n\n" + text : text;
    body.dispatchEvent(new Event("input", { bubbles: true })); // drafts.js keeps it
    body.focus();
  }

  function show(preview) {
    box.querySelector("[data-macro-title]").textContent = preview.title;
    var list = box.querySelector("[data-macro-effects]");
    list.textContent = "";
    var effects = preview.effects.length ? preview.effects : [list.getAttribute("data-nothing")];
    effects.forEach(function (effect) {
      var item = document.createElement("li");
      item.textContent = effect;
      list.appendChild(item);
    });
    var unavailable = box.querySelector("[data-macro-unavailable]");
    unavailable.textContent = preview.unavailable;
    unavailable.hidden = !preview.unavailable;
    box.querySelector("[data-macro-input]").value = String(preview.id);
    var send = box.querySelector("[data-macro-send]");
    send.value = preview.then;
    send.textContent = preview.then_label;
    send.hidden = !preview.then;
    box.hidden = false;
    if (status) status.textContent = preview.title + ": " + effects.join(" ");
  }

  function apply(id) {
    var url = picker.getAttribute("data-preview-url").replace(/\/0\/$/, "/" + id + "/");
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (preview) {
        show(preview);
        insert(preview.body);
        picker.open = false;
      });
  }

  search.addEventListener("input", narrow);
  picker.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-macro-id]");
    if (!link) return;
    event.preventDefault();
    // If the preview cannot be fetched (signed out, say), the link works as without scripts.
    apply(link.getAttribute("data-macro-id")).catch(function () { window.location = link.href; });
  });
  var cancel = box.querySelector("[data-macro-cancel]");
  cancel.addEventListener("click", function (event) {
    event.preventDefault();
    box.querySelector("[data-macro-input]").value = "";
    box.hidden = true;
    if (status) status.textContent = cancel.textContent;
  });
})();
