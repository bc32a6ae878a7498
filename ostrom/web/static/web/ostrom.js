// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // A failed form's error summary takes focus, so keyboard and screen-reader users hear first what went
  // wrong. Its links then move to the field and show the field's label or legend too, not just the input.
  function focusErrorSummary() {
    var summary = document.querySelector(".error-summary");
    if (!summary) return;
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      var field = link && document.getElementById(link.hash.slice(1));
      if (!field) return;
      event.preventDefault();
      var fieldset = field.closest("fieldset");
      var caption = (fieldset && fieldset.querySelector("legend")) || document.querySelector("label[for='" + field.id + "']");
      (caption || field).scrollIntoView();
      field.focus({ preventScroll: true });
    });
  }

  document.addEventListener("DOMContentLoaded", focusErrorSummary);
})();
