// The clocks of a page count down: each <time class="due"> shows how long is left (or how long overdue),
// in the words its data-in / data-over attributes give, refreshed every 15 seconds.
(function () {
  "use strict";
  var units = document.body.dataset;  // the words for hours and minutes in the page's language ("{n} h")
  function say(unit, n) { return (unit || "{n}").replace("{n}", n); }
  function span(ms) {
    var minutes = Math.round(Math.abs(ms) / 60000);
    var hours = Math.floor(minutes / 60);
    return hours > 0 ? say(units.hour, hours) + " " + say(units.minute, minutes % 60) : say(units.minute, minutes);
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("time.due").forEach(function (el) {
      var left = Date.parse(el.getAttribute("datetime")) - now;
      var words = left >= 0 ? el.dataset.in : el.dataset.over;
      el.textContent = words.replace("{time}", span(left));
      el.classList.toggle("overdue", left < 0);
      el.title = el.getAttribute("datetime");
    });
  }
  tick();
  setInterval(tick, 15000);
  document.addEventListener("pacs:updated", tick);  // a live list was read again
})();
