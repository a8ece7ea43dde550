// The article editor's images: "Insert in the text" puts an image's Markdown at the cursor.
// Without this script the Markdown is shown to copy; the buttons stay hidden.
(function () {
  "use strict";
  var body = document.getElementById("id_body_markdown");
  if (!body) return;
  document.querySelectorAll("[data-kb-image-markdown]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = button.getAttribute("data-kb-image-markdown");
      var at = typeof body.selectionStart === "number" ? body.selectionStart : body.value.length;
      var before = body.value.slice(0, at);
      var gap = before && !/\n$/.test(before) ? "\n\n" : "";
      body.value = before + gap + text + "\n\n" + body.value.slice(at);
      body.focus();
    });
  });
})();
