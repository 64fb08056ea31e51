// Asks before a form with data-confirm is sent (deletions). A static file, not an inline
// onsubmit: the Content-Security-Policy allows scripts from the box only.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
})();
