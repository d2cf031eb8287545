// Minimal client for protocol v1 (see gateway/PROTOCOL.md). Messages are shown as text only:
// server data is never parsed as HTML.
"use strict";

const EXAMPLE = ["21 25585733 . C T", "17:g.43094077C>T"].join("\n");

const statusEl = document.getElementById("status");
const variantsEl = document.getElementById("variants");
const submitEl = document.getElementById("submit");
const logEl = document.getElementById("log");
let socket = null;
let counter = 0;

function log(line) {
  logEl.textContent += line + "\n";
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  socket = new WebSocket(scheme + "//" + location.host + "/ws");
  socket.addEventListener("open", () => {
    statusEl.textContent = "connected";
    submitEl.disabled = false;
  });
  socket.addEventListener("message", (event) => {
    let msg;
    try {
      msg = JSON.parse(event.data);
    } catch (e) {
      log("unreadable message: " + String(e));
      return;
    }
    if (msg.type === "session") {
      statusEl.textContent = "connected (session " + msg.session_id + ")";
    }
    log(JSON.stringify(msg, null, 2));
  });
  socket.addEventListener("close", (event) => {
    statusEl.textContent = "disconnected (" + event.code + ") — reconnecting in 3 s";
    submitEl.disabled = true;
    setTimeout(connect, 3000);
  });
}

document.getElementById("example").addEventListener("click", () => {
  variantsEl.value = EXAMPLE;
});

submitEl.addEventListener("click", () => {
  const variants = variantsEl.value
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  if (!socket || socket.readyState !== WebSocket.OPEN) {
    log("not connected");
    return;
  }
  counter += 1;
  const request = { type: "analyze", request_id: "ui-" + counter, variants };
  socket.send(JSON.stringify(request));
  log("sent request " + request.request_id + " with " + variants.length + " variant(s)");
});

connect();
