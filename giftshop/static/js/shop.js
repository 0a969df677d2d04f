// The order form: show only the fields that apply to the chosen way of giving.
// Without JavaScript every field shows, and the server ignores the ones that do not apply.
(function () {
  "use strict";
  var form = document.querySelector(".order-form");
  if (!form) return;

  function chosenDelivery() {
    var checked = form.querySelector("input[name=delivery]:checked");
    return checked ? checked.value : "email";
  }

  function showFieldsFor() {
    var mode = chosenDelivery();
    form.querySelectorAll("[data-show]").forEach(function (el) {
      el.hidden = el.getAttribute("data-show").split(" ").indexOf(mode) < 0;
    });
  }

  form.querySelectorAll("input[name=delivery]").forEach(function (radio) {
    radio.addEventListener("change", showFieldsFor);
  });
  showFieldsFor();
})();
