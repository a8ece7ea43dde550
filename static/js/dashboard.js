// The managers' dashboard (/reports/dashboard/) refreshes itself from its JSON twin every
// half minute, without a reload. Without this script the page is a plain page of the same
// numbers. Every text it writes goes in through textContent: nothing is parsed as HTML.
(function () {
  "use strict";
  var root = document.querySelector("[data-dashboard-url]");
  if (!root || !window.fetch) return;
  var url = root.getAttribute("data-dashboard-url");
  var every = (parseInt(root.getAttribute("data-refresh-seconds"), 10) || 30) * 1000;
  var language = document.documentElement.lang || undefined;

  function pick(data, path) {
    return path.split(".").reduce(function (value, key) {
      return value == null ? undefined : value[key];
    }, data);
  }

  function number(value) {
    return typeof value === "number" ? value.toLocaleString(language) : String(value == null ? 0 : value);
  }

  function cell(tag, children) {
    var element = document.createElement(tag);
    children.forEach(function (child) { element.append(child); });
    return element;
  }

  function meter(value, max) {
    var bar = document.createElement("meter");
    bar.setAttribute("aria-hidden", "true"); // the number beside it says it
    bar.min = 0;
    bar.max = max || 1;
    bar.value = value;
    return bar;
  }

  function show(data) {
    root.querySelectorAll("[data-value]").forEach(function (element) {
      var value = pick(data, element.getAttribute("data-value"));
      element.textContent = typeof value === "string" ? value : number(value);
    });
    var hours = root.querySelector("[data-hours]");
    if (hours) {
      var max = data.today.busiest_hour;
      hours.replaceChildren.apply(hours, data.today.hours.map(function (hour) {
        var label = cell("th", [hour.label]);
        label.scope = "row";
        return cell("tr", [
          label,
          cell("td", [meter(hour.arrivals, max), " " + number(hour.arrivals)]),
          cell("td", [meter(hour.resolutions, max), " " + number(hour.resolutions)])
        ]);
      }));
    }
    var oldest = data.oldest_waiting;
    root.querySelectorAll("[data-oldest]").forEach(function (element) { element.hidden = !oldest; });
    root.querySelectorAll("[data-oldest-none]").forEach(function (element) { element.hidden = !!oldest; });
    if (oldest) {
      var link = root.querySelector("[data-oldest-link]");
      link.href = oldest.url;
      link.textContent = oldest.reference;
      root.querySelector("[data-oldest-subject]").textContent = oldest.subject;
      root.querySelector("[data-oldest-status]").textContent = oldest.status_label;
      root.querySelector("[data-oldest-age]").textContent = oldest.age_label;
    }
  }

  function stale(failed) {
    root.querySelectorAll("[data-dashboard-stale]").forEach(function (element) { element.hidden = !failed; });
  }

  function refresh() {
    if (document.hidden) return;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        // Signed out meanwhile: the answer is the sign-in page, not numbers.
        if (!response.ok || type.indexOf("application/json") !== 0) throw new Error(response.status);
        return response.json();
      })
      .then(function (data) { show(data); stale(false); })
      .catch(function () { stale(true); });
  }

  window.setInterval(refresh, every);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) refresh(); });
})();
