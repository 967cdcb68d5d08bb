/* The workshop check-in: "mark all as attended" ticks "attended" on every row that has no mark yet, and the same
   button then takes back what it ticked (rows the scout marked stay as they are). Nothing is saved until the
   form is submitted; without this script the server-side "save all registered" button does the same. */
(function () {
  "use strict";
  var button = document.getElementById("mark-all");
  if (!button) { return; }
  var status = document.getElementById("mark-all-status");
  var ticked = [];

  function show(text) {
    button.textContent = ticked.length ? button.dataset.resetText : button.dataset.markText;
    if (status) { status.textContent = text; }
  }

  button.hidden = false;
  button.addEventListener("click", function () {
    if (ticked.length) {
      ticked.forEach(function (radio) { radio.checked = false; });
      ticked = [];
      show(button.dataset.unmarkedText);
      return;
    }
    document.querySelectorAll(".checkin fieldset.marks").forEach(function (group) {
      var attended = group.querySelector("input[type=radio][value=attended]");
      if (attended && !group.querySelector("input[type=radio]:checked")) {
        attended.checked = true;
        ticked.push(attended);
      }
    });
    show(button.dataset.markedText.replace("{count}", String(ticked.length)));
  });
})();
