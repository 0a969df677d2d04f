// Runs in the embedded pay page: payment must not happen inside a frame, so hand the
// checkout URL to the embedding page (button.js), which opens it top-level. The message
// goes only to the allowed origins: the browser delivers it to the one that framed us.
(function () {
  "use strict";
  var pay = document.getElementById("pay");
  if (!pay || window.parent === window) return;
  var url = pay.getAttribute("data-checkout-url");
  var origins = JSON.parse(pay.getAttribute("data-embed-origins") || "[]");
  origins.forEach(function (origin) {
    window.parent.postMessage({ type: "giftshop:checkout", url: url }, origin);
  });
})();
