// Folding parts of a page (<details data-remember="name:person">) stay as each person left
// them, in this browser: the queue's filters and bulk bar. Without this script the server
// decides (open when a filter is on, or a refused bulk action came back).
(function () {
  "use strict";
  const key = (name) => "helpdesk:open:" + name;
  document.querySelectorAll("details[data-remember]").forEach(function (details) {
    const name = details.dataset.remember;
    let stored = null;
    try {
      stored = window.localStorage.getItem(key(name));
    } catch (error) {
      return; // storage refused (private mode): the page works as served
    }
    // What the server opened stays open; what the person opened last time opens again.
    if (stored === "1" && !details.open) details.open = true;
    details.addEventListener("toggle", function () {
      try {
        window.localStorage.setItem(key(name), details.open ? "1" : "0");
      } catch (error) {
        /* not kept: nothing else to do */
      }
    });
  });
})();
