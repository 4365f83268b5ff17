// medsec: small progressive enhancements. Every page works without this
// script; the server enforces timeouts and confirmations stand in for
// nothing the server does not check.
(function () {
  "use strict";

  // Idle timeout: the server ends a session that made no request for the
  // idle time. Typing in a page makes no request, so the clock runs from
  // the page load; when it runs out, go to the login page instead of
  // leaving a page whose next click would fail.
  var body = document.body;
  var idle = parseInt(body.getAttribute("data-idle-timeout") || "0", 10);
  var target = body.getAttribute("data-idle-redirect");
  if (idle > 0 && target) {
    window.setTimeout(function () {
      window.location.assign(target + "&next=" + encodeURIComponent(window.location.pathname));
    }, (idle + 2) * 1000);
  }

  // Confirmation before destructive actions.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) {
        event.preventDefault();
      }
    });
  });

  // Copy buttons next to one-time secrets.
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var input = document.getElementById(button.getAttribute("data-copy"));
      if (!input) { return; }
      input.select();
      if (navigator.clipboard) {
        navigator.clipboard.writeText(input.value);
      } else {
        document.execCommand("copy");
      }
    });
  });
})();
