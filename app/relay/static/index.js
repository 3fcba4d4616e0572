"use strict";
// The overlay list: each overlay's URL (with this page's token, if it has one) and a preview.
(function () {
  const token = new URLSearchParams(location.search).get("token");
  const suffix = token ? "?token=" + encodeURIComponent(token) : "";
  for (const el of document.querySelectorAll("[data-overlay]")) {
    const url = location.origin + el.dataset.overlay + suffix;
    if (el.tagName === "IFRAME") el.src = url;
    else el.textContent = url;
  }
  const status = document.getElementById("status");
  window.vmscEvents(function (message) {
    if (message.kind !== "status" || !message.status) return;
    const s = message.status;
    const channel = s.channel ? " · " + s.channel : "";
    status.textContent = "App: " + s.state + channel + (s.live ? " · live" : "");
  });
})();
