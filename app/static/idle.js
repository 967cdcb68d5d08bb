// Warn two minutes before the idle timeout; "stay signed in" renews the session with a POST.
(function () {
  var box = document.getElementById("idle-warning");
  if (!box) return;
  var minutes = parseInt(box.dataset.timeoutMinutes, 10);
  var warnAfter = Math.max(minutes - 2, 0) * 60 * 1000;
  var timer;
  function arm() {
    clearTimeout(timer);
    box.hidden = true;
    timer = setTimeout(function () {
      box.hidden = false;
      document.getElementById("idle-stay").focus();
      timer = setTimeout(function () { window.location.reload(); }, 2 * 60 * 1000);
    }, warnAfter);
  }
  document.getElementById("idle-stay").addEventListener("click", function () {
    fetch(box.dataset.keepaliveUrl, {method: "POST", headers: {"X-CSRFToken": box.dataset.csrf},
                                     credentials: "same-origin"}).then(arm);
  });
  arm();
})();
