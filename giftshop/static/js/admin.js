// The new-product form: show only the fieldset of the chosen kind (sessions package or
// gift certificate). Without JavaScript both show, and the server ignores the other kind's.
(function () {
  "use strict";
  var kind = document.querySelector("form.product-form select[name=kind]");
  if (!kind) return;
  var form = kind.form;

  function showFieldsFor() {
    form.querySelectorAll("[data-kind]").forEach(function (el) {
      el.hidden = el.getAttribute("data-kind") !== kind.value;
    });
  }

  kind.addEventListener("change", showFieldsFor);
  showFieldsFor();
})();
