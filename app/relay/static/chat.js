"use strict";
// Chat overlay: the last `max` messages (default 20), newest at the bottom. Options in the URL:
// ?max=N, ?fade=SECONDS (remove each message after that long; 0 = never), ?font=FAMILY.
// Everything from chat reaches the DOM as text (textContent) or as attributes set one by one.
(function () {
  const max = Math.round(window.vmscOption("max", 1, 200, 20));
  const fade = window.vmscOption("fade", 0, 86400, 0);
  const filesUrl = document.querySelector('meta[name="vmsc-files-url"]').content.replace(/\/+$/, "");
  const box = document.getElementById("chat");
  const EMOTE = /\[emote:(\d+):([^\]]*)\]/g;
  const COLOR = /^#[0-9a-fA-F]{3,8}$/;
  const BADGES = {
    broadcaster: "HOST",
    moderator: "MOD",
    vip: "VIP",
    og: "OG",
    founder: "FOUNDER",
    verified: "✔",
    subscriber: "SUB",
    sub_gifter: "GIFTER",
    staff: "STAFF",
  };
  window.vmscFont();

  function text(className, content) {
    const span = document.createElement("span");
    span.className = className;
    span.textContent = content;
    return span;
  }

  function messageBody(message) {
    const body = document.createElement("span");
    body.className = "text";
    let last = 0;
    for (const match of message.matchAll(EMOTE)) {
      if (match.index > last) body.append(document.createTextNode(message.slice(last, match.index)));
      const img = document.createElement("img");
      img.className = "emote";
      img.src = filesUrl + "/emotes/" + match[1] + "/fullsize";
      img.alt = match[2];
      img.title = match[2];
      body.append(img);
      last = match.index + match[0].length;
    }
    if (last < message.length) body.append(document.createTextNode(message.slice(last)));
    return body;
  }

  function badges(list) {
    const holder = document.createElement("span");
    holder.className = "badges";
    for (const badge of Array.isArray(list) ? list : []) {
      if (!badge || typeof badge.type !== "string") continue;
      const type = badge.type.toLowerCase().replace(/[^a-z_]/g, "");
      const label = BADGES[type] || String(badge.text || type).toUpperCase().slice(0, 12);
      const span = text("badge badge-" + type, label);
      span.title = String(badge.text || type);
      holder.append(span);
    }
    return holder;
  }

  function add(event) {
    const data = event.data || {};
    const identity = data.senderIdentity || {};
    const row = document.createElement("div");
    row.className = "message" + (data.test ? " test" : "");
    row.dataset.eventId = event.id;
    row.dataset.chatId = typeof data.chatId === "string" && data.chatId ? data.chatId : event.id;
    row.append(badges(identity.badges));
    const name = text("username", event.username);
    if (typeof identity.color === "string" && COLOR.test(identity.color)) {
      name.style.color = identity.color;
    }
    row.append(name, text("separator", ": "), messageBody(String(data.message || "")));
    box.append(row);
    while (box.children.length > max) box.firstElementChild.remove();
    if (fade > 0) {
      setTimeout(function () {
        row.classList.add("leaving");
        setTimeout(function () { row.remove(); }, 600);
      }, fade * 1000);
    }
  }

  function remove(chatId) {
    for (const row of Array.from(box.children)) {
      if (row.dataset.chatId === chatId || row.dataset.eventId === chatId) row.remove();
    }
  }

  window.vmscEvents(function (message) {
    if (message.kind !== "event" || !message.event) return;
    const event = message.event;
    if (event.type === "chat") add(event);
    else if (event.type === "message_deleted" && event.data) remove(String(event.data.chatId));
  });
})();
