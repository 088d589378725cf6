/*! wismo web chat widget (Apache-2.0). Embed with one tag:
 *  <script src="https://bot.example.com/webhooks/webchat/widget.js" data-title="Order help" async></script>
 * Options (data- attributes): server, title, subtitle, greeting, color, position ("left"),
 * socket-path. Docs: docs/channels/webchat.md. Plain JS, no build step.
 */
(function () {
  "use strict";
  if (window.wismoChat) return; // the tag is on the page twice

  const script = document.currentScript ||
    document.querySelector('script[src*="/webhooks/webchat/widget.js"]');
  const opts = (script && script.dataset) || {};
  const server = (opts.server || new URL(script.src).origin).replace(/\/+$/, "");
  const base = `${server}/webhooks/webchat`;
  const socketPath = opts.socketPath || "/webhooks/webchat/socket.io";
  const title = opts.title || "Order help";
  const subtitle = opts.subtitle || "Typically replies instantly";
  const greeting = opts.greeting !== undefined ? opts.greeting
    : "Hi! Ask me where your order is, when it will arrive, or for its tracking link.";
  const SESSION_KEY = "wismo-webchat:session";
  const OPEN_KEY = "wismo-webchat:open";
  const TYPING_TIMEOUT_MS = 20000;
  const URL_RE = /\bhttps?:\/\/[^\s<>"]+[^\s<>".,;:!?)\]'’]/g;

  // Icons are constant markup of our own; untrusted text only ever goes in as text nodes.
  const ICONS = {
    chat: '<path d="M5 4h14a3 3 0 0 1 3 3v8a3 3 0 0 1-3 3h-7l-5 3.8V18H5a3 3 0 0 1-3-3V7a3 ' +
      '3 0 0 1 3-3z" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round"/>' +
      '<circle cx="8" cy="11" r="1.3"/><circle cx="12" cy="11" r="1.3"/><circle cx="16" cy="11" r="1.3"/>',
    down: '<path d="M6 9l6 6 6-6" fill="none" stroke="currentColor" stroke-width="2.2" ' +
      'stroke-linecap="round" stroke-linejoin="round"/>',
    close: '<path d="M6 6l12 12M18 6L6 18" stroke="currentColor" stroke-width="2.2" ' +
      'stroke-linecap="round"/>',
    send: '<path d="M3.4 20.4l17.4-7.5a1 1 0 0 0 0-1.8L3.4 3.6a.8.8 0 0 0-1.1 1L4.6 11 ' +
      '13 12l-8.4 1-2.3 6.4a.8.8 0 0 0 1.1 1z"/>',
    box: '<path d="M12 2.5l8.5 4.3v10.4L12 21.5l-8.5-4.3V6.8zM12 12l8.2-4.5M12 12L3.8 7.5M12 ' +
      '12v9.3" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linejoin="round"/>',
  };

  function icon(name) {
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("fill", "currentColor");
    svg.setAttribute("aria-hidden", "true");
    svg.innerHTML = ICONS[name];
    return svg;
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "text") node.textContent = value;
      else if (key === "class") node.className = value;
      else node.setAttribute(key, value);
    }
    node.append(...children);
    return node;
  }

  function storage(kind) {
    try { return window[kind]; } catch (e) { return null; } // blocked by privacy settings
  }

  function remember(kind, key, value) {
    try { storage(kind).setItem(key, value); } catch (e) { /* this page view only */ }
  }

  function recall(kind, key) {
    try { return storage(kind).getItem(key); } catch (e) { return null; }
  }

  function newSessionId() {
    if (crypto.randomUUID) return crypto.randomUUID(); // https and localhost only
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  /** Text with its http(s) links made clickable, built from text nodes and <a> only. */
  function linkify(text) {
    const frag = document.createDocumentFragment();
    let last = 0;
    for (const match of text.matchAll(URL_RE)) {
      frag.append(text.slice(last, match.index), el("a", {
        href: match[0], target: "_blank", rel: "noopener noreferrer nofollow", text: match[0],
      }));
      last = match.index + match[0].length;
    }
    frag.append(text.slice(last));
    return frag;
  }

  // ---- the widget's DOM, in a shadow root so the store's CSS and ours never meet ----
  const host = document.createElement("wismo-webchat");
  if (opts.color) host.style.setProperty("--wc-accent", opts.color);
  if (opts.position === "left") host.setAttribute("data-position", "left");
  host.dataset.state = "connecting"; // then "online" (in our session's room) or "offline"
  const shadow = host.attachShadow({ mode: "open" });
  const root = el("div", { class: "root", hidden: "" });
  const stylesheet = el("link", { rel: "stylesheet", href: `${base}/widget.css` });
  stylesheet.onload = stylesheet.onerror = () => root.removeAttribute("hidden");

  const status = el("p", { class: "status", text: subtitle });
  const closeButton = el("button", { class: "close", type: "button", "aria-label": "Close chat" },
    icon("close"));
  const typing = el("div", { class: "msg bot", hidden: "", "aria-hidden": "true" },
    el("div", { class: "bubble typing" }, el("i"), el("i"), el("i")));
  const log = el("div", { class: "log", role: "log", "aria-live": "polite",
    "aria-label": "Conversation" }, typing);
  const input = el("input", { id: "wc-input", type: "text", autocomplete: "off",
    maxlength: "2000", placeholder: "Type your message…" });
  const form = el("form", {},
    el("label", { class: "sr-only", for: "wc-input", text: "Your message" }), input,
    el("button", { class: "send", type: "submit", "aria-label": "Send" }, icon("send")));
  const panel = el("section", { class: "panel", "aria-label": title, hidden: "" },
    el("header", {}, el("div", { class: "avatar" }, icon("box")),
      el("div", { class: "heading" }, el("h2", { text: title }), status), closeButton),
    log, form);
  const teaserText = el("span");
  const teaser = el("button", { class: "teaser", type: "button", hidden: "" }, teaserText);
  const badge = el("span", { class: "badge", hidden: "", "aria-hidden": "true" });
  const launcher = el("button", { class: "launcher", type: "button", "aria-expanded": "false",
    "aria-label": `Open chat: ${title}` }, icon("chat"), badge);
  // The log is hidden while the panel is closed; new messages are announced from here.
  const announcer = el("div", { class: "sr-only", role: "status", "aria-live": "polite" });
  root.append(panel, teaser, launcher, announcer);
  shadow.append(stylesheet, root);

  // ---- state ----
  let sessionId = recall("localStorage", SESSION_KEY);
  const returning = Boolean(sessionId);
  if (!sessionId) {
    sessionId = newSessionId();
    remember("localStorage", SESSION_KEY, sessionId);
  }
  let socket = null;
  let ready = false; // connected and in our session's room
  let isOpen = false;
  let unread = 0;
  let typingTimer = null;
  const outbox = [];

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  function setTyping(on) {
    clearTimeout(typingTimer);
    typing.hidden = !on;
    if (on) typingTimer = setTimeout(() => setTyping(false), TYPING_TIMEOUT_MS);
    scrollDown();
  }

  function setOnline(online) {
    status.textContent = online ? subtitle : "Reconnecting…";
    status.classList.toggle("offline", !online);
    host.dataset.state = online ? "online" : "offline";
  }

  /** Show one message: {sender: "user"|"bot", text, buttons: [{title, payload}], image}. */
  function show(message) {
    for (const used of log.querySelectorAll(".choices")) used.classList.add("used");
    const who = message.sender === "user" ? "user" : "bot";
    if (message.text) {
      log.insertBefore(el("div", { class: `msg ${who}` },
        el("div", { class: "bubble" }, linkify(message.text))), typing);
    }
    if (message.image && /^https?:\/\//.test(message.image)) {
      log.insertBefore(el("div", { class: `msg ${who}` },
        el("div", { class: "bubble" }, el("img", { src: message.image, alt: "" }))), typing);
    }
    const buttons = message.buttons || [];
    if (buttons.length) {
      const group = el("div", { class: "choices", role: "group", "aria-label": "Choices" });
      for (const { title: label, payload } of buttons) {
        const choice = el("button", { class: "choice", type: "button", text: label });
        choice.addEventListener("click", () => send(payload, label));
        group.append(choice);
      }
      log.insertBefore(group, typing);
    }
    scrollDown();
  }

  function fromBot(data) {
    if (!data || typeof data !== "object") return null;
    const buttons = (data.quick_replies || data.buttons || [])
      .filter((b) => b && (b.title || b.payload))
      .map((b) => ({ title: String(b.title || b.payload), payload: String(b.payload || b.title) }));
    const attachment = data.attachment || {};
    const image = attachment.type === "image" && attachment.payload ? attachment.payload.src : "";
    const text = typeof data.text === "string" ? data.text : "";
    return text || buttons.length || image ? { sender: "bot", text, buttons, image } : null;
  }

  function send(text, label) {
    text = text.trim();
    if (!text) return;
    show({ sender: "user", text: label || text });
    const data = { message: text, session_id: sessionId };
    if (label) data.metadata = { title: label };
    outbox.push(data);
    flush();
    setTyping(true);
  }

  function flush() {
    while (ready && outbox.length) socket.emit("user_uttered", outbox.shift());
  }

  function received(data) {
    const message = fromBot(data);
    if (!message) return;
    setTyping(false);
    show(message);
    if (!isOpen) {
      unread += 1;
      badge.textContent = String(unread);
      badge.hidden = false;
      if (message.text) {
        teaserText.textContent = message.text;
        teaser.hidden = false;
        announcer.textContent = `New message from ${title}: ${message.text}`;
      }
    }
  }

  function setOpen(open) {
    isOpen = open;
    panel.hidden = !open;
    root.classList.toggle("open", open);
    launcher.setAttribute("aria-expanded", String(open));
    launcher.setAttribute("aria-label", open ? "Close chat" : `Open chat: ${title}`);
    launcher.replaceChild(icon(open ? "down" : "chat"), launcher.firstChild);
    remember("sessionStorage", OPEN_KEY, open ? "1" : "");
    if (!open) return;
    unread = 0;
    badge.hidden = teaser.hidden = true;
    if (greeting && !log.querySelector(".msg:not([aria-hidden])")) {
      show({ sender: "bot", text: greeting });
    }
    scrollDown();
    input.focus();
  }

  // ---- wiring ----
  launcher.addEventListener("click", () => setOpen(!isOpen));
  teaser.addEventListener("click", () => setOpen(true));
  closeButton.addEventListener("click", () => {
    setOpen(false);
    launcher.focus();
  });
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      setOpen(false);
      launcher.focus();
    }
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send(input.value);
    input.value = "";
  });

  async function loadHistory() {
    if (!returning) return;
    try {
      const reply = await fetch(`${base}/history/${encodeURIComponent(sessionId)}`,
        { credentials: "omit" });
      const items = reply.ok ? await reply.json() : [];
      for (const item of Array.isArray(items) ? items : []) {
        if (item.sender === "user") show({ sender: "user", text: String(item.text || "") });
        else {
          const message = fromBot(item);
          if (message) show(message);
        }
      }
    } catch (e) {
      // Offline or blocked: the conversation goes on without the earlier turns.
    }
  }

  /** The vendored socket.io client, without leaving a global `io` (or an AMD module) behind. */
  function loadSocketIo() {
    return new Promise((resolve, reject) => {
      const previous = window.io;
      const amd = typeof window.define === "function" ? window.define.amd : undefined;
      if (amd) window.define.amd = undefined;
      const tag = el("script", { src: `${base}/vendor/socket.io.min.js`, async: "" });
      tag.onload = tag.onerror = () => {
        const io = window.io;
        if (amd) window.define.amd = amd;
        if (previous === undefined) delete window.io;
        else window.io = previous;
        tag.remove();
        if (typeof io === "function") resolve(io);
        else reject(new Error("wismo web chat: the socket.io client did not load"));
      };
      document.head.append(tag);
    });
  }

  function connect(io) {
    socket = io(server, { path: socketPath });
    // Every connect, first or after a drop, asks for our session again: the server puts
    // this socket in the session's room, which is where replies and pushes go.
    socket.on("connect", () => socket.emit("session_request", { session_id: sessionId }));
    socket.on("session_confirm", (confirmed) => {
      const id = typeof confirmed === "object" && confirmed ? confirmed.session_id : confirmed;
      if (typeof id === "string" && id !== sessionId) {
        sessionId = id;
        remember("localStorage", SESSION_KEY, id);
      }
      ready = true;
      setOnline(true);
      flush();
    });
    socket.on("disconnect", (reason) => {
      ready = false;
      setOnline(false);
      if (reason === "io server disconnect") socket.connect(); // not retried on its own
    });
    socket.on("connect_error", () => setOnline(false));
    socket.on("bot_uttered", received);
  }

  window.wismoChat = {
    open: () => setOpen(true),
    close: () => setOpen(false),
    /** Forget this conversation (e.g. when a customer logs out on a shared computer). */
    reset() {
      sessionId = newSessionId();
      remember("localStorage", SESSION_KEY, sessionId);
      for (const node of [...log.children]) if (node !== typing) node.remove();
      if (socket) socket.disconnect().connect();
      if (isOpen) setOpen(true);
    },
  };

  async function start() {
    document.body.append(host);
    await loadHistory();
    if (recall("sessionStorage", OPEN_KEY)) setOpen(true);
    connect(await loadSocketIo());
  }

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
