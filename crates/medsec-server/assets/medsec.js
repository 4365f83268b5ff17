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

  // Checklists whose boxes save themselves: ticking submits the form (its
  // save button does the same without script).
  document.querySelectorAll("form[data-autosubmit] input[type=checkbox]").forEach(function (box) {
    box.addEventListener("change", function () {
      box.form.submit();
    });
  });

  // Live regions (the alert queue): every few seconds the page is
  // fetched again in the background and the region replaced by its new
  // content. The request says it is a poll, so it does not count as the
  // user's activity for the idle timeout. Without script, the page's own
  // refresh link does the same.
  document.querySelectorAll("[data-live]").forEach(function (region) {
    var every = parseInt(region.getAttribute("data-live") || "5", 10) * 1000;
    var tick = function () {
      fetch(window.location.href, { headers: { "X-Medsec-Poll": "1" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (text) {
          if (text === null) { return; }
          var doc = new DOMParser().parseFromString(text, "text/html");
          var fresh = doc.getElementById(region.id);
          if (fresh) {
            region.innerHTML = fresh.innerHTML;
            region.setAttribute("data-updated", String(Date.now()));
          }
        })
        .catch(function () {})
        .then(function () { window.setTimeout(tick, every); });
    };
    window.setTimeout(tick, every);
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
