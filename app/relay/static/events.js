"use strict";
// The /events WebSocket, reconnecting by itself (server restart, app relaunch): 1, 2, 4, then
// every 5 seconds. The token in the page's own URL (LAN mode) is passed on.
window.vmscEvents = function vmscEvents(onMessage) {
  const token = new URLSearchParams(location.search).get("token");
  const url = "ws://" + location.host + "/events" + (token ? "?token=" + encodeURIComponent(token) : "");
  let delay = 1000;
  function open() {
    const socket = new WebSocket(url);
    socket.onopen = function () {
      delay = 1000;
      document.body.dataset.connection = "open";
    };
    socket.onmessage = function (message) {
      let parsed;
      try {
        parsed = JSON.parse(message.data);
      } catch (error) {
        return;
      }
      onMessage(parsed);
    };
    socket.onclose = function () {
      document.body.dataset.connection = "closed";
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 5000);
    };
  }
  open();
};

window.vmscOption = function vmscOption(name, low, high, fallback) {
  const text = new URLSearchParams(location.search).get(name);
  const value = text === null || text.trim() === "" ? NaN : Number(text);
  return Number.isFinite(value) ? Math.min(high, Math.max(low, value)) : fallback;
};

// A font family from the URL (?font=Inter), applied through the CSSOM: never parsed as CSS text
// beyond one family name.
window.vmscFont = function vmscFont() {
  const font = new URLSearchParams(location.search).get("font");
  if (font) {
    document.body.style.fontFamily = '"' + font.replace(/["\\\n\r]/g, "") + '", sans-serif';
  }
};
