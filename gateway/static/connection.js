// The WebSocket session (protocol in gateway/PROTOCOL.md): connects, reconnects with
// exponential backoff and jitter after any drop, and asks to resume the previous session
// from the last frame cursor it saw. A gateway that cannot resume (no resume support,
// unknown or expired session) answers with an error: the page then keeps the rows it has and
// tells the app which analyses were cut off.
//
// The session's resume_secret (the credential that resumes it and attaches uploads to it)
// is kept in sessionStorage, which only this tab reads, never in the page's other state.
const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 15000;
const STORAGE_KEY = "gateway.session";

/** Remembers the current session's id and secret for this tab. */
function storeSecret(sessionId, secret) {
  try {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ session_id: sessionId, resume_secret: secret }));
    return true;
  } catch {
    return false; // storage disabled: the caller keeps it in memory instead
  }
}

/** The stored secret of `sessionId`, or null. */
function storedSecret(sessionId) {
  try {
    const saved = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || "null");
    return saved && saved.session_id === sessionId && typeof saved.resume_secret === "string"
      ? saved.resume_secret
      : null;
  } catch {
    return null;
  }
}

/** Full-jitter backoff: spreads reconnects of many tabs after a gateway restart. */
export function backoffDelay(attempt) {
  const ceiling = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** attempt);
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

export class Connection {
  /**
   * handlers.onState(state, detail): "connecting" | "connected" | "reconnecting" | "resumed"
   * handlers.onMessage(msg): every server message except session bookkeeping
   * handlers.onSessionLost(): a reconnect landed in a new session; in-flight work is gone
   */
  constructor(url, handlers) {
    this.url = url;
    this.handlers = handlers;
    this.socket = null;
    this.session = null;
    this.cursor = null;
    this.attempt = 0;
    this.timer = null;
    this.everConnected = false;
    this.resuming = false;
    this.pendingSession = null;
    // Only when sessionStorage is unavailable.
    this.fallbackSecret = null;
  }

  /** The current session's secret (for uploads), or null. */
  get sessionSecret() {
    if (!this.session) return null;
    return storedSecret(this.session.session_id) || this.fallbackSecret;
  }

  /** Makes `msg` (a session frame) the current session; its secret goes to storage. */
  adopt(msg) {
    const { resume_secret: secret, ...session } = msg;
    this.session = session;
    this.fallbackSecret = storeSecret(session.session_id, secret) ? null : secret;
  }

  start() {
    this.open();
  }

  get ready() {
    return (
      this.socket !== null &&
      this.socket.readyState === WebSocket.OPEN &&
      !!this.session &&
      !this.resuming
    );
  }

  get limits() {
    return this.session || {};
  }

  send(message) {
    if (!this.ready) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  /** Skips the remaining backoff wait (the "Reconnect now" button). */
  retryNow() {
    if (this.timer === null) return;
    clearTimeout(this.timer);
    this.timer = null;
    this.open();
  }

  open() {
    this.handlers.onState(this.everConnected ? "reconnecting" : "connecting", {
      attempt: this.attempt,
    });
    let socket;
    try {
      socket = new WebSocket(this.url);
    } catch (e) {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.addEventListener("message", (event) => this.receive(event.data));
    socket.addEventListener("close", (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      // A resume cut short is retried on the next connection, from the same session.
      this.resuming = false;
      this.pendingSession = null;
      this.scheduleReconnect(event.code);
    });
  }

  scheduleReconnect(code) {
    // 1012: the gateway is restarting, so a quick first retry is likely to succeed.
    const delay = code === 1012 && this.attempt === 0 ? FIRST_DELAY_MS : backoffDelay(this.attempt);
    this.attempt += 1;
    this.handlers.onState("reconnecting", { attempt: this.attempt, delayMs: delay, code });
    this.timer = setTimeout(() => {
      this.timer = null;
      this.open();
    }, delay);
  }

  receive(data) {
    let msg;
    try {
      msg = JSON.parse(data);
    } catch (e) {
      this.handlers.onMessage({ type: "error", code: "unreadable_message", message: String(e) });
      return;
    }
    if (msg === null || typeof msg !== "object") {
      this.handlers.onMessage({
        type: "error",
        code: "unreadable_message",
        message: "the gateway sent a message that is not a JSON object",
      });
      return;
    }
    if (msg.type === "session") return this.onSession(msg);
    if (msg.type === "resumed") return this.onResumed();
    if (this.resuming && msg.type === "error" && !msg.request_id && !msg.analysis_id) {
      // The gateway could not resume: carry on in the new session, and never ask for the old
      // one again (its cursor means nothing to the new one).
      this.resuming = false;
      this.adopt(this.pendingSession);
      this.pendingSession = null;
      this.cursor = null;
      this.handlers.onState("connected", { resumeRefused: msg.message });
      this.handlers.onSessionLost();
      return;
    }
    if (msg.type === "error" && (msg.code === "results_dropped" || msg.code === "expired")) {
      // The session lost results (expired, evicted, or a restarted gateway that never had
      // them): resuming it again cannot help. The gateway closes this connection; the next
      // one starts a new session.
      this.session = null;
      this.cursor = null;
      this.handlers.onMessage(msg);
      this.handlers.onSessionLost();
      return;
    }
    // Every frame of a resumable session carries its stream cursor.
    if (typeof msg.cursor === "string") this.cursor = msg.cursor;
    this.handlers.onMessage(msg);
  }

  onSession(msg) {
    const previous = this.session;
    const reconnect = this.everConnected;
    this.everConnected = true;
    this.attempt = 0;
    if (reconnect && previous) {
      // Until the gateway confirms, the old session stays current; a refusal switches to `msg`.
      this.pendingSession = msg;
      this.resuming = true;
      const resume = {
        type: "resume",
        session_id: previous.session_id,
        resume_secret: storedSecret(previous.session_id) || this.fallbackSecret || "",
      };
      if (this.cursor !== null) resume.last_seen = this.cursor;
      this.socket.send(JSON.stringify(resume));
      return;
    }
    this.adopt(msg);
    this.handlers.onState("connected", {});
    if (reconnect) this.handlers.onSessionLost();
  }

  onResumed() {
    if (!this.resuming) return;
    this.resuming = false;
    // Same session (and secret, still in storage), but the new connection's limits.
    const { resume_secret: unused, ...limits } = this.pendingSession;
    this.session = { ...limits, session_id: this.session.session_id };
    this.pendingSession = null;
    this.handlers.onState("resumed", {});
  }
}
