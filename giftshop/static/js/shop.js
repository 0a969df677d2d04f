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

  // Preset amounts fill the amount field; the total follows amount × quantity.
  var amount = form.querySelector("#amount");
  var quantity = form.querySelector("#quantity");
  var total = document.getElementById("running-total");
  var fixedCents = parseInt(form.getAttribute("data-price-cents"), 10) || 0;
  var presets = form.querySelectorAll(".preset");

  function dollars(cents) {
    var whole = cents % 100 === 0;
    return "$" + (cents / 100).toLocaleString("en-US", {minimumFractionDigits: whole ? 0 : 2,
                                                         maximumFractionDigits: 2});
  }

  // The gratuity: a share of the gift's price (rounded half-up to the cent, as the
  // server does) or whole dollars; the amount field shows only for "Other amount".
  var tipAmount = form.querySelector("#gratuity_amount");
  var tipNote = document.getElementById("gratuity-note");
  var tipTotal = document.getElementById("gratuity-total");

  function gratuityChoice() {
    var checked = form.querySelector("input[name=gratuity]:checked");
    return checked ? checked.value : "none";
  }

  function gratuityCents(unit) {
    var choice = gratuityChoice();
    if (choice === "amount") {
      return tipAmount && /^\d+$/.test(tipAmount.value) ? parseInt(tipAmount.value, 10) * 100 : 0;
    }
    var percent = parseInt(choice, 10);
    return percent ? Math.floor((unit * percent + 50) / 100) : 0;
  }

  function showGratuityAmount() {
    var choice = gratuityChoice();
    form.querySelectorAll("[data-gratuity-show]").forEach(function (el) {
      el.hidden = el.getAttribute("data-gratuity-show") !== choice;
    });
  }

  function updateTotal() {
    var unit = amount ? Math.round(parseFloat(amount.value) * 100) : fixedCents;
    var count = parseInt(quantity.value, 10);
    var ok = unit > 0 && count >= 1 && count <= 10 && (!amount || /^\d+$/.test(amount.value));
    var tip = ok ? gratuityCents(unit) : 0;
    total.textContent = ok ? dollars((unit + tip) * count) : "—";
    if (tipNote) {
      tipNote.hidden = !tip;
      tipTotal.textContent = dollars(tip * count);
    }
    presets.forEach(function (button) {
      var value = button.getAttribute("data-amount");
      var pressed = value ? amount.value === value
        : !Array.prototype.some.call(presets, function (b) {
            return b.getAttribute("data-amount") && b.getAttribute("data-amount") === amount.value;
          });
      button.setAttribute("aria-pressed", pressed ? "true" : "false");
    });
  }

  presets.forEach(function (button) {
    button.addEventListener("click", function () {
      var value = button.getAttribute("data-amount");
      if (value) amount.value = value;
      else { amount.value = ""; amount.focus(); }
      updateTotal();
    });
  });
  [amount, quantity, tipAmount].forEach(function (input) {
    if (input) input.addEventListener("input", updateTotal);
  });
  form.querySelectorAll("input[name=gratuity]").forEach(function (radio) {
    radio.addEventListener("change", function () {
      showGratuityAmount();
      if (radio.value === "amount" && radio.checked && tipAmount) tipAmount.focus();
      updateTotal();
    });
  });
  showGratuityAmount();
  if (total) updateTotal();

  // The live preview: the real certificate, re-rendered a moment after typing stops.
  var preview = document.getElementById("preview");
  var timer = null;
  function refreshPreview() {
    var base = preview.getAttribute("src").split("?")[0];
    var params = new URLSearchParams();
    var design = form.querySelector("input[name=design]:checked");
    if (design) params.set("design", design.value);
    if (amount && amount.value) params.set("amount", amount.value);
    var tipChoice = gratuityChoice();
    if (tipChoice !== "none") params.set("gratuity", tipChoice);
    if (tipChoice === "amount" && tipAmount && tipAmount.value) {
      params.set("gratuity_amount", tipAmount.value);
    }
    var mode = chosenDelivery();
    ["recipient_name", "purchaser_name", "message"].forEach(function (name) {
      var input = form.querySelector("[name=" + name + "]");
      var applies = name === "purchaser_name" || mode !== "me";
      if (input && input.value.trim() && applies) params.set(name, input.value);
    });
    preview.src = base + "?" + params.toString();
  }
  function schedulePreview() {
    clearTimeout(timer);
    timer = setTimeout(refreshPreview, 500);
  }
  if (preview) {
    form.addEventListener("input", schedulePreview);
    form.addEventListener("change", schedulePreview);
    presets.forEach(function (button) { button.addEventListener("click", schedulePreview); });
  }
})();
