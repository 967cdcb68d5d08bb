// The import page's progress bar: asks the server for the run's progress every second while it runs and
// reloads the page when it is done (without JavaScript the page reloads itself through <noscript> meta refresh).
(function () {
  "use strict";
  var run = document.getElementById("import-run");
  if (!run || (run.dataset.status !== "queued" && run.dataset.status !== "running")) {
    return;
  }
  var bar = document.getElementById("import-progress");
  var label = document.getElementById("import-progress-text");
  var format = new Intl.NumberFormat("de-DE");

  function show(progress) {
    bar.max = progress.total || 1;
    bar.value = progress.processed;
    bar.textContent = progress.processed + " / " + progress.total;
    label.textContent = label.dataset.template.replace("{done}", format.format(progress.processed))
      .replace("{total}", format.format(progress.total));
    ["total", "created", "updated", "unchanged", "skipped"].forEach(function (name) {
      var cell = run.querySelector('[data-count="' + name + '"]');
      if (cell) {
        cell.textContent = format.format(progress[name]);
      }
    });
  }

  function poll() {
    fetch(run.dataset.progressUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (progress) {
        show(progress);
        if (progress.status === "queued" || progress.status === "running") {
          window.setTimeout(poll, 1000);
        } else {
          window.location.reload();
        }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }

  window.setTimeout(poll, 500);
}());
