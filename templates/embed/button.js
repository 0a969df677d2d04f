/* West Hills Gift Shop: the "Buy a gift" button for the practice's own website.
   The snippet's plain link keeps working without this script; with it the link becomes a
   styled button that opens the shop in a dialog, on the sites allowed to frame it. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var shop = new URL(script.src).origin;
  var allowed = {{ origins|tojson }};
  var framable = allowed.indexOf(window.location.origin) !== -1;
  var dialog = null;
  var frame = null;

  function style(el, props) {
    Object.keys(props).forEach(function (name) { el.style[name] = props[name]; });
  }

  function buildDialog() {
    dialog = document.createElement("dialog");
    dialog.setAttribute("aria-label", "Buy a gift");
    dialog.className = "giftshop-dialog";
    style(dialog, { padding: "0", border: "0", borderRadius: "12px", width: "min(560px, 100vw - 16px)",
                    height: "min(820px, 100vh - 16px)", maxWidth: "100vw", maxHeight: "100vh",
                    overflow: "hidden", boxShadow: "0 12px 48px rgba(0,0,0,.35)" });
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = "\u00d7";
    close.setAttribute("aria-label", "Close");
    style(close, { position: "absolute", top: "6px", right: "8px", width: "40px", height: "40px",
                   border: "0", borderRadius: "20px", background: "rgba(255,255,255,.9)",
                   font: "28px/40px sans-serif", cursor: "pointer", color: "#333" });
    close.addEventListener("click", function () { dialog.close(); });
    frame = document.createElement("iframe");
    frame.title = "Buy a gift";
    style(frame, { border: "0", width: "100%", height: "100%", display: "block" });
    dialog.appendChild(frame);
    dialog.appendChild(close);
    dialog.addEventListener("click", function (event) {
      if (event.target === dialog) dialog.close();  // a click on the backdrop
    });
    document.body.appendChild(dialog);
  }

  function open(product) {
    if (!dialog) buildDialog();
    frame.src = shop + "/embed" + (product ? "/p/" + encodeURIComponent(product) : "");
    dialog.showModal();
  }

  function enhance(link) {
    style(link, { display: "inline-block", padding: "12px 22px", borderRadius: "999px",
                  background: "#2f5d50", color: "#fff", font: "600 17px/1.2 system-ui, sans-serif",
                  textDecoration: "none", boxShadow: "0 2px 6px rgba(0,0,0,.2)" });
    if (!framable || typeof HTMLDialogElement !== "function") return;  // stays a plain link
    link.addEventListener("click", function (event) {
      event.preventDefault();
      open(link.getAttribute("data-product"));
    });
  }

  // The embedded pay page hands over the checkout URL: payment opens top-level, never framed.
  window.addEventListener("message", function (event) {
    if (event.origin !== shop || !frame || event.source !== frame.contentWindow) return;
    var data = event.data || {};
    if (data.type !== "giftshop:checkout" || typeof data.url !== "string") return;
    var target = new URL(data.url, shop);
    if (target.origin === shop || target.origin === "https://checkout.stripe.com") {
      window.location.assign(target.href);
    }
  });

  function start() {
    var links = document.querySelectorAll("a[data-giftshop-button]");
    Array.prototype.forEach.call(links, enhance);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
