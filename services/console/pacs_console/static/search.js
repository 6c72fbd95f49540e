// The hospital search answers as the agent types: the matching sites replace the list below the box (the form
// still works without script, by pressing Enter).
(function () {
  "use strict";
  var box = document.getElementById("q");
  var results = document.getElementById("site-results");
  if (!box || !results) { return; }
  var phone = (document.querySelector("#site-search input[name=phone]") || {}).value || "";
  var timer = null;
  box.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var url = "/console/calls/sites?q=" + encodeURIComponent(box.value) + "&phone=" + encodeURIComponent(phone);
      fetch(url, {credentials: "same-origin"}).then(function (r) { return r.ok ? r.text() : ""; })
        .then(function (html) { if (html) { results.innerHTML = html; } });
    }, 250);
  });
})();
