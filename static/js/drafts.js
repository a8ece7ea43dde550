// Drafts: what is typed in a reply or note is kept in this browser (localStorage) while it is
// typed, per person and per ticket (the form's data-draft, templates/partials/
// draft_attrs.html), and put back when the page comes again with the box empty: after a
// reload, a crash, a refused action, or signing in again when the session had expired.
// The draft is forgotten once the server says the text was sent (a message tagged
// "draft-sent", tickets/views/agent.py and portal.py). Text goes in through .value only.
(function () {
  "use strict";
  var PREFIX = "helpdesk:draft:";
  var storage;
  try {
    storage = window.localStorage;
    storage.setItem(PREFIX + "probe", "1");
    storage.removeItem(PREFIX + "probe");
  } catch (error) {
    return; // private mode or storage off: the forms work as without scripts
  }
  var sent = document.querySelector(".messages .draft-sent");

  function keyOf(form, field) {
    return PREFIX + form.getAttribute("data-draft") + ":" + field.name;
  }

  function read(key) {
    try {
      var saved = JSON.parse(storage.getItem(key) || "null");
      return saved && typeof saved.text === "string" ? saved : null;
    } catch (error) {
      return null;
    }
  }

  function save(key, text) {
    try {
      if (text.trim()) storage.setItem(key, JSON.stringify({ text: text, at: Date.now() }));
      else storage.removeItem(key);
    } catch (error) { /* full: the text is still in the box */ }
  }

  function notice(form, fields) {
    var box = document.createElement("div");
    box.className = "notice draft-notice";
    box.setAttribute("role", "status");
    var text = document.createElement("span");
    text.textContent = form.getAttribute("data-draft-restored") + " ";
    var discard = document.createElement("button");
    discard.type = "button";
    discard.className = "link";
    discard.textContent = form.getAttribute("data-draft-discard");
    discard.addEventListener("click", function () {
      fields.forEach(function (field) {
        field.value = "";
        storage.removeItem(keyOf(form, field));
      });
      text.textContent = form.getAttribute("data-draft-discarded");
      discard.remove();
    });
    box.append(text, discard);
    form.insertBefore(box, form.firstChild);
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-draft]"), function (form) {
    var fields = Array.prototype.slice.call(form.querySelectorAll("textarea[name]"));
    if (sent) {
      fields.forEach(function (field) { storage.removeItem(keyOf(form, field)); });
    }
    var restored = [];
    fields.forEach(function (field) {
      var key = keyOf(form, field);
      var saved = sent ? null : read(key);
      // What the server put back (a refused action, a macro) wins over the draft.
      if (saved && saved.text.trim() && !field.value.trim()) {
        field.value = saved.text;
        restored.push(field);
      }
      var timer = null;
      field.addEventListener("input", function () {
        window.clearTimeout(timer);
        timer = window.setTimeout(function () { save(key, field.value); }, 250);
      });
      field.addEventListener("change", function () { save(key, field.value); });
      window.addEventListener("pagehide", function () { save(key, field.value); });
      form.addEventListener("submit", function () { save(key, field.value); });
    });
    if (restored.length) {
      notice(form, restored);
      // A note restored into a closed "Send and change the status…" section is shown.
      restored.forEach(function (field) {
        var details = field.closest("details");
        if (details) details.open = true;
      });
    }
  });
})();
