// A live page: told by the console's event stream that an incident changed, the page reads itself again (as its
// user may see it) and puts in the parts that change: a list (fragment=1 gives just the list), or the parts of one
// incident's page marked data-live-part (only when it is that incident that changed; the forms being filled in
// are left alone). A lost connection is said so; once back, the page catches up.
(function () {
  "use strict";
  var live = document.querySelector("[data-live]");
  if (!live || !window.EventSource) { return; }
  var status = document.getElementById("live-status");
  var only = live.dataset.liveOnly || null;
  var pending = null;
  var lost = false;
  function swapParts(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    document.querySelectorAll("[data-live-part]").forEach(function (part) {
      var replacement = fresh.getElementById(part.id);
      if (replacement) { part.innerHTML = replacement.innerHTML; }
    });
  }
  function reload() {
    clearTimeout(pending);
    pending = setTimeout(function () {
      var url = only ? location.pathname + location.search
        : location.pathname + location.search + (location.search ? "&" : "?") + "fragment=1";
      fetch(url, {credentials: "same-origin"}).then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (html === null) { return; }
          if (only) { swapParts(html); } else { live.innerHTML = html; }
          document.dispatchEvent(new Event("pacs:updated"));
        });
    }, 250);
  }
  var source = new EventSource(live.dataset.live);
  source.addEventListener("incident", function (event) {
    if (!only || event.data === only) { reload(); }
  });
  source.addEventListener("open", function () {
    if (lost) { lost = false; if (status) { status.hidden = true; } reload(); }
  });
  source.addEventListener("error", function () {
    lost = true;
    if (status) { status.hidden = false; }
  });
})();
