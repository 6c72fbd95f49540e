// A live list: told by the console's event stream that an incident changed, the page reads its list again (as
// its user may see it) and keeps the clocks running. A lost connection is said so; once back, the list catches up.
(function () {
  "use strict";
  var list = document.querySelector("[data-live]");
  if (!list || !window.EventSource) { return; }
  var status = document.getElementById("live-status");
  var pending = null;
  var lost = false;
  function reload() {
    clearTimeout(pending);
    pending = setTimeout(function () {
      var url = location.pathname + location.search + (location.search ? "&" : "?") + "fragment=1";
      fetch(url, {credentials: "same-origin"}).then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (html !== null) {
            list.innerHTML = html;
            document.dispatchEvent(new Event("pacs:updated"));
          }
        });
    }, 250);
  }
  var source = new EventSource(list.dataset.live);
  source.addEventListener("incident", reload);
  source.addEventListener("open", function () {
    if (lost) { lost = false; if (status) { status.hidden = true; } reload(); }
  });
  source.addEventListener("error", function () {
    lost = true;
    if (status) { status.hidden = false; }
  });
})();
