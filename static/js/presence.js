// Live updates on the agent's pages (templates/agent/_live.html), polled every few seconds:
// on a ticket, who else is viewing it and who is typing a reply (tickets/views/live.py,
// kept in the shared presence cache), and a notice when it changed since the page was
// loaded: "A new reply arrived: … Show it". Showing it loads the page again; the reply being
// typed is kept as a draft (drafts.js) and put back. On the queue: "3 new tickets — Show".
// The polls say they are not a person's activity (X-Helpdesk-Poll): an idle session still
// expires. Any answer that is not JSON (a signed-out session, a server error) stops them.
// Text goes in through textContent only.
(function () {
  "use strict";
  var live = document.querySelector("[data-live]");
  if (!live || !window.fetch || !window.FormData) return;
  var kind = live.getAttribute("data-live");
  var url = live.getAttribute("data-url");
  var notice = live.querySelector("[data-live-notice]");
  var seconds = 3;
  var timer = null;
  var stopped = false;

  function words(name, values) {
    var text = live.getAttribute("data-say-" + name) || "";
    Object.keys(values || {}).forEach(function (key) {
      text = text.replace("%(" + key + ")s", values[key]);
    });
    return text;
  }

  function schedule(delay) {
    window.clearTimeout(timer);
    if (stopped) return;
    // A hidden tab asks less often; a little jitter keeps many pages from asking in step.
    var wait = delay !== undefined ? delay : (document.hidden ? 4 : 1) * seconds * 1000;
    timer = window.setTimeout(poll, wait * (0.9 + Math.random() * 0.2));
  }

  function ask(request) {
    return window.fetch(request.url, {
      method: request.method,
      body: request.body,
      credentials: "same-origin",
      headers: { "X-Helpdesk-Poll": "1", "Accept": "application/json" },
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (!response.ok || type.indexOf("application/json") !== 0) throw new Error("stop");
      return response.json();
    });
  }

  function showNotice(lead, detail, href) {
    notice.textContent = "";
    var text = document.createElement("span");
    text.textContent = lead + (detail ? " " + detail : "");
    var link = document.createElement("a");
    link.href = href;
    link.textContent = words("show");
    notice.append(text, link);
    if (kind === "ticket") {
      var kept = document.createElement("span");
      kept.className = "muted";
      kept.textContent = words("draft");
      notice.append(kept);
    }
    notice.hidden = false;
  }

  // --- A ticket ------------------------------------------------------------------------------
  var viewersBox = live.querySelector("[data-live-viewers]");
  var version = live.getAttribute("data-version");
  var pageStatus = live.getAttribute("data-status");
  var csrf = document.querySelector("input[name=csrfmiddlewaretoken]");
  var typedAt = 0;
  var TYPING_MS = 5000;
  var shown = "";

  function ticketForm(extra) {
    var form = new FormData();
    form.append("version", version);
    form.append("csrfmiddlewaretoken", csrf ? csrf.value : "");
    Object.keys(extra || {}).forEach(function (key) { form.append(key, extra[key]); });
    return form;
  }

  var viewersSaid = "";

  function showViewers(viewers) {
    // Rewritten only when it changes: a screen reader hears each change once, not every poll.
    var said = JSON.stringify(viewers);
    if (said === viewersSaid) return;
    viewersSaid = said;
    viewersBox.textContent = "";
    if (!viewers.length) {
      viewersBox.hidden = true;
      return;
    }
    var names = viewers.map(function (v) { return v.name; });
    var line = document.createElement("span");
    line.textContent = words(names.length === 1 ? "one-viewing" : "many-viewing",
      { names: names.join(", ") });
    viewersBox.append(line);
    viewers.filter(function (v) { return v.typing; }).forEach(function (v) {
      var typing = document.createElement("span");
      typing.className = "typing";
      typing.textContent = " " + words("typing", { name: v.name });
      viewersBox.append(typing);
    });
    viewersBox.hidden = false;
  }

  function showChange(answer) {
    if (!answer.stale || !answer.change) return;
    var lead = answer.status !== pageStatus ? words("status")
      : answer.change.reply ? words("reply") : words("changed");
    var key = answer.version + ":" + lead;
    if (key === shown) return; // said once; a screen reader is not told it again each poll
    shown = key;
    showNotice(lead, answer.change.text, window.location.pathname);
  }

  function pollTicket() {
    var typing = Date.now() - typedAt < TYPING_MS;
    return ask({ url: url, method: "POST", body: ticketForm(typing ? { typing: "on" } : {}) })
      .then(function (answer) {
        seconds = answer.poll_seconds || seconds;
        showViewers(answer.viewers || []);
        showChange(answer);
      });
  }

  if (kind === "ticket") {
    var composer = document.getElementById("composer-form");
    if (composer) {
      composer.addEventListener("input", function () {
        var idle = Date.now() - typedAt >= TYPING_MS;
        typedAt = Date.now();
        if (idle) schedule(0); // the others learn at once that someone started typing
      });
    }
    window.addEventListener("pagehide", function () {
      stopped = true;
      if (navigator.sendBeacon) navigator.sendBeacon(url, ticketForm({ leaving: "on" }));
    });
  }

  // --- The queue -----------------------------------------------------------------------------
  var since = live.getAttribute("data-since");

  function pollQueue() {
    var address = url + "?since=" + encodeURIComponent(since);
    return ask({ url: address, method: "GET" }).then(function (answer) {
      seconds = answer.poll_seconds || seconds;
      if (!answer.new) return;
      var text = answer.more ? words("more", { count: answer.new })
        : words(answer.new === 1 ? "one" : "many", { count: answer.new });
      if (text === shown) return;
      shown = text;
      showNotice(text + " —", "", window.location.pathname + window.location.search);
    });
  }

  function poll() {
    (kind === "ticket" ? pollTicket() : pollQueue())
      .then(function () { schedule(); })
      .catch(function (error) {
        // Not JSON: signed out, or refused; stop. A network hiccup: try again later.
        if (error && error.message === "stop") stopped = true;
        else schedule(5 * seconds * 1000);
      });
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) schedule(0);
  });
  schedule(kind === "ticket" ? 0 : undefined);
})();
