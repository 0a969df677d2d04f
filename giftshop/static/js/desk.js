// Front desk: the redeem button's label, and reading a voucher QR with the camera.
// Frames are drawn to a canvas and POSTed as JPEG to /desk/scan, which decodes them
// on the server (zxing-cpp); on a voucher code we open its redeem screen.
// Typed codes and USB/Bluetooth scanners (which type the URL and press Enter) use
// the plain form and need no script.
(function () {
  "use strict";
  // The redeem button says exactly what one tap takes ("Redeem 2 sessions",
  // "Redeem $37.50"): that label is the confirmation, so it follows the field.
  var redeemForm = document.getElementById("redeem-form");
  if (redeemForm) {
    var button = redeemForm.querySelector(".redeem-button");
    var input = redeemForm.querySelector("#redeem-sessions, #redeem-amount");
    var relabel = function () {
      var value = input.value.trim();
      if (input.id === "redeem-sessions") {
        var n = parseInt(value, 10);
        button.value = n > 0 ? "Redeem " + n + (n === 1 ? " session" : " sessions") : "Redeem";
      } else {
        var dollars = parseFloat(value.replace(/[$,\s]/g, ""));
        button.value = dollars > 0 ? "Redeem $" + dollars.toFixed(2) : "Redeem this amount";
      }
    };
    input.addEventListener("input", relabel);
    relabel();
  }

  // After a name search that found nothing the field keeps the words, selected, so the
  // next scan replaces them (after a code that matched nothing it comes back empty).
  var field = document.getElementById("code");
  if (field && field.value) { field.focus(); field.select(); }

  var root = document.getElementById("scanner");
  if (!root) { return; }
  var startButton = document.getElementById("scan-start");
  var stopButton = document.getElementById("scan-stop");
  var view = document.getElementById("scanner-view");
  var video = document.getElementById("scanner-video");
  var canvas = document.getElementById("scanner-canvas");
  var status = document.getElementById("scanner-status");
  var scanUrl = root.getAttribute("data-scan-url");
  var csrf = root.getAttribute("data-csrf");
  var MAX_WIDTH = 960;
  var INTERVAL_MS = 250;
  var stream = null;
  var timer = null;

  function say(text) { status.textContent = text; }

  function stop() {
    if (timer) { clearTimeout(timer); timer = null; }
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
    view.hidden = true;
    startButton.hidden = false;
  }

  function next() { if (stream) { timer = setTimeout(grab, INTERVAL_MS); } }

  function grab() {
    if (!stream || video.readyState < 2 || !video.videoWidth) { next(); return; }
    var scale = Math.min(1, MAX_WIDTH / video.videoWidth);
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    canvas.toBlob(send, "image/jpeg", 0.85);
  }

  function send(blob) {
    if (!blob || !stream) { next(); return; }
    fetch(scanUrl, {
      method: "POST", body: blob, credentials: "same-origin",
      headers: { "Content-Type": "image/jpeg", "X-CSRFToken": csrf }
    }).then(function (response) {
      if (response.status === 401 || response.redirected) {
        throw new Error("Your sign-in has expired; reload the page.");
      }
      return response.json();
    }).then(function (body) {
      if (body.code && body.url) {
        say("Found " + body.code + " — opening…");
        stop();
        window.location.assign(body.url);
        return;
      }
      say(body.message || "Point the camera at the voucher's QR code…");
      next();
    }).catch(function (err) {
      say(err.message || "Could not reach the shop; retrying…");
      next();
    });
  }

  startButton.addEventListener("click", function () {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      say("This browser cannot use the camera here; type the code or use a scanner.");
      view.hidden = false;
      return;
    }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (s) {
        stream = s;
        video.srcObject = s;
        view.hidden = false;
        startButton.hidden = true;
        say("Point the camera at the voucher's QR code…");
        return video.play();
      })
      .then(next)
      .catch(function (err) {
        stop();
        view.hidden = false;
        say("The camera is not available (" + (err.name || err) + "). Type the code instead.");
      });
  });
  stopButton.addEventListener("click", stop);
  window.addEventListener("pagehide", stop);
}());
