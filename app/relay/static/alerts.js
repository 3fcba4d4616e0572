"use strict";
// Icons are characters every system font has (DejaVu, Segoe UI): no emoji font needed.
// Alerts overlay: follows, subs, gifted subs, Kicks and hosts, one at a time from a queue, each
// shown for its type's time (?duration=SECONDS sets one time for all). The alert shown carries
// data-alert-type; body[data-queued] says how many wait. Text from chat is set as text only.
(function () {
  const SECONDS = { follow: 5, subscribe: 7, gift_sub: 8, kicks: 7, host: 7 };
  const override = window.vmscOption("duration", 0.2, 60, 0);
  const stage = document.getElementById("alerts");
  const queue = [];
  let showing = false;
  window.vmscFont();

  function plural(n, word) {
    return n + " " + word + (n === 1 ? "" : "s");
  }

  function describe(event) {
    const data = event.data || {};
    const user = event.username || "Someone";
    switch (event.type) {
      case "follow":
        return { icon: "♥", name: user, line: "just followed!", note: "" };
      case "subscribe": {
        const months = Number(data.months) || 1;
        const line = months > 1 ? "subscribed for " + plural(months, "month") + "!" : "just subscribed!";
        return { icon: "★", name: user, line: line, note: String(data.message || "") };
      }
      case "gift_sub": {
        const count = Number(data.giftedCount) || (Array.isArray(data.recipients) ? data.recipients.length : 1);
        return { icon: "✦", name: String(data.gifterUsername || user), line: "gifted " + plural(count, "sub") + "!", note: "" };
      }
      case "kicks": {
        const amount = Number(data.amount) || 0;
        const gift = data.giftName ? " (" + data.giftName + ")" : "";
        return { icon: "⚡", name: user, line: "sent " + plural(amount, "Kick") + gift + "!", note: String(data.message || "") };
      }
      case "host": {
        const viewers = Number(data.viewers) || 0;
        return { icon: "➤", name: String(data.hostUsername || user), line: "is hosting with " + plural(viewers, "viewer") + "!", note: String(data.message || "") };
      }
      default:
        return null;
    }
  }

  function part(tag, className, content) {
    const el = document.createElement(tag);
    el.className = className;
    el.textContent = content;
    return el;
  }

  function showNext() {
    document.body.dataset.queued = String(queue.length);
    if (showing || queue.length === 0) return;
    const event = queue.shift();
    document.body.dataset.queued = String(queue.length);
    const text = describe(event);
    const alert = document.createElement("div");
    alert.className = "alert alert-" + event.type + (event.data && event.data.test ? " test" : "");
    alert.dataset.alertType = event.type;
    alert.dataset.eventId = event.id;
    alert.append(part("div", "alert-icon", text.icon));
    const words = document.createElement("div");
    words.className = "alert-words";
    words.append(part("div", "alert-name", text.name), part("div", "alert-line", text.line));
    if (text.note) words.append(part("div", "alert-note", text.note));
    alert.append(words);
    stage.append(alert);
    showing = true;
    const seconds = override || SECONDS[event.type] || 6;
    setTimeout(function () {
      alert.classList.add("leaving");
      setTimeout(function () {
        alert.remove();
        showing = false;
        showNext();
      }, 400);
    }, seconds * 1000);
  }

  window.vmscEvents(function (message) {
    if (message.kind !== "event" || !message.event || !(message.event.type in SECONDS)) return;
    queue.push(message.event);
    showNext();
  });
})();
