// Small enhancements on every page; the pages work without them (the CSP allows no inline script).
(function () {
  var script = document.currentScript;

  // A confirmation appears where the user is: after a redirect to a section (#anchor) the flashed messages move
  // next to that section's heading, and the focus moves to the first one (screen readers read it out).
  var messages = document.querySelectorAll("main > .flash[data-flash]");
  if (messages.length) {
    var target = location.hash ? document.getElementById(decodeURIComponent(location.hash.slice(1))) : null;
    if (target) {
      var anchor = /^H[1-6]$/.test(target.tagName) ? target : null;
      for (var i = messages.length - 1; i >= 0; i--) {
        if (anchor) anchor.insertAdjacentElement("afterend", messages[i]);
        else target.insertBefore(messages[i], target.firstChild);
      }
    }
    // After the page's own scroll to the #anchor, which would reset the focus to the document.
    window.addEventListener("load", function () {
      setTimeout(function () { messages[0].focus(); }, 0);
    });
  }

  // A table wider than its box says that it scrolls sideways (and can be scrolled with the keyboard).
  var hint = script && script.dataset.scrollHint;
  function markScrollingTables() {
    document.querySelectorAll(".table-wrap").forEach(function (wrap) {
      var scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
      var note = wrap.previousElementSibling;
      var hasNote = note && note.classList.contains("scroll-hint");
      if (scrolls && !hasNote && hint) {
        note = document.createElement("p");
        note.className = "scroll-hint";
        note.textContent = hint;
        wrap.insertAdjacentElement("beforebegin", note);
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("role", "region");
        wrap.setAttribute("aria-label", hint);
      } else if (!scrolls && hasNote) {
        note.remove();
        wrap.removeAttribute("tabindex");
        wrap.removeAttribute("role");
        wrap.removeAttribute("aria-label");
      }
    });
  }
  markScrollingTables();
  window.addEventListener("resize", markScrollingTables);

  // The municipality follows the postcode: chosen when the postcode belongs to one municipality, kept when the
  // chosen one is among several the postcode spans. The server does the same when no municipality was chosen.
  document.querySelectorAll("select[data-postcodes]").forEach(function (select) {
    var byCode = JSON.parse(select.dataset.postcodes);
    var postcode = select.form && select.form.elements.namedItem("postcode");
    if (!postcode) return;
    function follow() {
      var ids = byCode[postcode.value.trim()];
      if (ids && ids.indexOf(parseInt(select.value, 10)) === -1) select.value = String(ids[0]);
    }
    postcode.addEventListener("input", follow);
    // Typed before this script ran (a slow page): follow what is there already.
    if (postcode.value !== postcode.defaultValue) follow();
  });
})();
