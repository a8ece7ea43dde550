// Keyboard shortcuts for agents (the list: templates/agent/_keyboard_help.html, "?").
// Queue: j/k move between tickets, o or Enter opens one, x selects it, / searches; a
// select-all box and Shift+click range selection for the bulk form. Ticket: r reply,
// n internal note, t take, Ctrl+Enter sends. Shortcuts never fire while typing in a field
// (Ctrl+Enter in the composer excepted); what they do is said in an aria-live region.
(function () {
  "use strict";
  var help = document.getElementById("keyboard-help");
  if (!help) return;
  var status = document.querySelector("[data-keyboard-status]");
  var helpButton = document.querySelector("[data-keyboard-help]");

  function say(text) {
    if (!status) return;
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 50); // re-announced if same
  }

  function words(name, values) {
    var text = help.getAttribute("data-say-" + name) || "";
    Object.keys(values || {}).forEach(function (key) {
      text = text.replace("%(" + key + ")s", values[key]);
    });
    return text;
  }

  function typing(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === "textarea" || tag === "select" || target.isContentEditable ||
      (tag === "input" && !/^(checkbox|radio|button|submit|reset)$/i.test(target.type));
  }

  function openHelp() {
    if (typeof help.showModal === "function" && !help.open) help.showModal();
  }
  if (helpButton) {
    helpButton.hidden = false;
    helpButton.addEventListener("click", openHelp);
  }

  // --- The queue ----------------------------------------------------------------------------
  var table = document.querySelector("table[data-queue]");
  var rows = table ? Array.prototype.slice.call(table.tBodies[0].rows) : [];
  var current = -1;
  var boxes = rows.map(function (row) { return row.querySelector("input[type=checkbox][name=tickets]"); });
  var lastBox = null;
  var selectAll = null;

  function selectedCount() {
    return boxes.filter(function (box) { return box && box.checked; }).length;
  }

  function syncSelectAll() {
    if (!selectAll) return;
    var count = selectedCount();
    selectAll.checked = count > 0 && count === boxes.length;
    selectAll.indeterminate = count > 0 && count < boxes.length;
  }

  function move(by) {
    if (!rows.length) return;
    if (current >= 0) rows[current].classList.remove("kb-current");
    current = current < 0 ? (by > 0 ? 0 : rows.length - 1) : Math.min(rows.length - 1, Math.max(0, current + by));
    var row = rows[current];
    row.classList.add("kb-current");
    var link = row.querySelector("td.ref a");
    if (link) link.focus();
    row.scrollIntoView({ block: "nearest" });
    var subject = row.cells[2] ? row.cells[2].textContent.trim() : "";
    say(words("row", { n: current + 1, count: rows.length }) + " " + (link ? link.textContent : "") + " " + subject);
  }

  if (table) {
    var head = table.tHead && table.tHead.rows[0] && table.tHead.rows[0].cells[0];
    if (head && boxes.length) {
      selectAll = document.createElement("input");
      selectAll.type = "checkbox";
      selectAll.id = "select-all";
      selectAll.setAttribute("aria-label", help.getAttribute("data-select-all"));
      selectAll.setAttribute("data-select-all", "");
      head.appendChild(selectAll);
      selectAll.addEventListener("change", function () {
        boxes.forEach(function (box) { if (box) box.checked = selectAll.checked; });
        say(words("selected", { count: selectedCount() }));
      });
    }
    boxes.forEach(function (box) {
      if (!box) return;
      box.addEventListener("click", function (event) {
        if (event.shiftKey && lastBox && lastBox !== box) {
          var from = boxes.indexOf(lastBox);
          var to = boxes.indexOf(box);
          var low = Math.min(from, to);
          var high = Math.max(from, to);
          for (var i = low; i <= high; i += 1) if (boxes[i]) boxes[i].checked = box.checked;
        }
        lastBox = box;
        syncSelectAll();
        say(words("selected", { count: selectedCount() }));
      });
    });
    // Where the focus is in the queue is where j/k go on from.
    table.addEventListener("focusin", function (event) {
      var row = event.target.closest("tbody tr");
      var index = rows.indexOf(row);
      if (index >= 0 && index !== current) {
        if (current >= 0) rows[current].classList.remove("kb-current");
        current = index;
        row.classList.add("kb-current");
      }
    });
    syncSelectAll();
  }

  // --- The ticket page ------------------------------------------------------------------
  var composer = document.getElementById("composer-form");
  var message = composer ? composer.querySelector("textarea[name=body]") : null;
  var mode = "public";

  function write(as) {
    if (!message) return;
    mode = as;
    message.focus();
    message.scrollIntoView({ block: "center" });
    say(words(as === "internal" ? "note" : "reply"));
  }

  function send() {
    var button = composer.querySelector("button[name=visibility][value=" + mode + "]");
    if (!button) return;
    if (typeof composer.requestSubmit === "function") composer.requestSubmit(button);
    else button.click();
  }

  function take() {
    var form = document.querySelector("form:has(input[name=action][value=take])");
    var button = form && form.querySelector("button[type=submit], button:not([type])");
    if (button) button.click();
    else say(words("cannot-take"));
  }

  // --- One listener for all of it -------------------------------------------------------
  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.isComposing) return;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      if (composer && composer.contains(event.target)) {
        event.preventDefault();
        send();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target) || help.open) return;
    var key = event.key;
    if (key === "?") { event.preventDefault(); openHelp(); return; }
    if (table) {
      if (key === "j") { event.preventDefault(); move(1); return; }
      if (key === "k") { event.preventDefault(); move(-1); return; }
      if ((key === "o" || (key === "Enter" && event.target === document.body)) && current >= 0) {
        var link = rows[current].querySelector("td.ref a");
        if (link) { event.preventDefault(); link.click(); }
        return;
      }
      if (key === "x" && current >= 0 && boxes[current]) {
        event.preventDefault();
        boxes[current].click();
        return;
      }
    }
    if (key === "/") {
      var search = document.getElementById("id_q");
      if (search) { event.preventDefault(); search.focus(); search.select(); say(words("search")); }
      return;
    }
    if (composer) {
      if (key === "r") { event.preventDefault(); write("public"); return; }
      if (key === "n") { event.preventDefault(); write("internal"); return; }
      if (key === "t") { event.preventDefault(); take(); }
    }
  });
})();
