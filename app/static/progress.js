// A background run's progress bar (an import, a hand-over): asks the server for the progress every second while
// it runs and reloads the page when it is done (without JavaScript the page reloads itself through <noscript>
// meta refresh). The page marks the element with data-progress-url and data-status; inside it are a <progress>,
// a label with data-template ("{done} of {total}") and optionally cells with data-count="<name>".
(function () {
  "use strict";
  var run = document.querySelector("[data-progress-url]");
  if (!run || (run.dataset.status !== "queued" && run.dataset.status !== "running")) {
    return;
  }
  var bar = run.querySelector("progress");
  var label = run.querySelector("[data-template]");
  var format = new Intl.NumberFormat("de-DE");

  function show(progress) {
    bar.max = progress.total || 1;
    bar.value = progress.processed;
    bar.textContent = progress.processed + " / " + progress.total;
    label.textContent = label.dataset.template.replace("{done}", format.format(progress.processed))
      .replace("{total}", format.format(progress.total));
    run.querySelectorAll("[data-count]").forEach(function (cell) {
      var name = cell.dataset.count;
      if (progress[name] !== undefined) {
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
