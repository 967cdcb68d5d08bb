/* The check form saves itself: every change is posted in the background (with the CSRF token), and
   unsaved changes go out with sendBeacon when the tab is closed. Without this script every button
   still saves the step. The result page's print button lives here too. */
(function () {
  "use strict";
  var form = document.getElementById("check-form");
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
  if (!form || !window.fetch || !window.FormData) { return; }
  var url = form.dataset.autosaveUrl;
  var status = document.getElementById("autosave-status");
  var token = form.querySelector("input[name=csrf_token]");
  var dirty = false, timer = null, sending = false;

  function say(text) { if (status) { status.textContent = text; } }

  function save() {
    timer = null;
    if (sending) { timer = setTimeout(save, 300); return; }
    sending = true;
    dirty = false;
    fetch(url, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: {"X-CSRFToken": token ? token.value : "", "Accept": "application/json"}
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      var now = new Date();
      var time = now.toLocaleTimeString("de-DE", {hour: "2-digit", minute: "2-digit"});
      say(form.dataset.savedText.replace("{time}", time));
    }).catch(function () {
      dirty = true;
      say(form.dataset.failedText);
    }).then(function () { sending = false; });
  }

  form.addEventListener("change", function () {
    dirty = true;
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(save, 400);
  });
  form.addEventListener("submit", function () { dirty = false; if (timer) { clearTimeout(timer); } });
  window.addEventListener("pagehide", function () {
    if (dirty && navigator.sendBeacon) { navigator.sendBeacon(url, new FormData(form)); dirty = false; }
  });
})();
