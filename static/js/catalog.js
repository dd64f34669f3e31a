// The project catalog: the filters stay open beside the results on a wide screen (a phone keeps them
// folded above), and a new sort order applies at once. Without JavaScript the buttons do both.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    if (window.matchMedia("(min-width: 992px)").matches) {
      document.querySelectorAll("details[data-open-wide]").forEach(function (details) { details.open = true; });
    }
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.requestSubmit(); });
    });
  });
})();
