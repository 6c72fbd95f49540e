// Past cases as the engineer types a root cause: the escalation database's nearest cases appear below the box,
// so a problem solved once is not solved again. Without script the resolve form works the same, without them.
(function () {
  "use strict";
  var box = document.querySelector("textarea[data-similar]");
  var shown = document.getElementById("similar");
  if (!box || !shown) { return; }
  var timer = null;
  var asked = "";
  box.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var text = box.value.trim();
      if (text === asked) { return; }
      asked = text;
      var url = box.dataset.similar + (box.dataset.similar.indexOf("?") < 0 ? "?" : "&") + "q=";
      fetch(url + encodeURIComponent(text), {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) { if (html !== null && asked === text) { shown.innerHTML = html; } });
    }, 400);
  });
})();
