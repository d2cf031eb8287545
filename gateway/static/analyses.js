// Analyses of this page: what was sent, what the gateway accepted, how far each has come,
// and the errors that belong to it. Rendered as a list with one progress bar per analysis.
import { el, replaceChildren } from "./dom.js";

const STATE_TEXT = {
  sending: "Sending…",
  running: "Annotating",
  complete: "Complete",
  failed: "Not accepted",
  interrupted: "Interrupted",
};

export class Analyses {
  constructor(listEl, onResubmit) {
    this.listEl = listEl;
    this.onResubmit = onResubmit;
    this.bySeq = [];
    this.nextSeq = 1;
  }

  create(variants) {
    const seq = this.nextSeq++;
    const random = crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2);
    const analysis = {
      seq,
      requestId: `ui-${seq}-${random}`,
      variants,
      analysisId: null,
      total: variants.length,
      chunkCount: null,
      state: "sending",
      done: 0,
      annotated: 0,
      failed: 0,
      // What is going on (neutral); `messages` are problems (shown as errors).
      note: null,
      messages: [],
      chunkErrors: [],
    };
    this.bySeq.push(analysis);
    return analysis;
  }

  find(msg) {
    return this.bySeq.find(
      (a) =>
        (msg.request_id && a.requestId === msg.request_id) ||
        (msg.analysis_id && a.analysisId === msg.analysis_id),
    );
  }

  inFlight() {
    return this.bySeq.filter((a) => a.state === "sending" || a.state === "running");
  }

  render() {
    if (this.bySeq.length === 0) {
      replaceChildren(this.listEl, el("li", { class: "note empty" }, "Nothing submitted yet."));
      return;
    }
    const items = this.bySeq
      .slice()
      .reverse()
      .map((a) => this.renderOne(a));
    replaceChildren(this.listEl, items);
  }

  renderOne(a) {
    const id = `analysis-${a.seq}`;
    const counts =
      `${a.done} of ${a.total} variant${a.total === 1 ? "" : "s"} done` +
      (a.failed ? ` · ${a.failed} not annotated` : "");
    const progress = el("progress", {
      max: a.total,
      value: a.done,
      "aria-labelledby": `${id}-title`,
      "aria-describedby": `${id}-counts`,
    });
    const note = a.note ? el("p", { class: "analysis-note" }, a.note) : null;
    const messages = a.messages.length
      ? el("ul", { class: "analysis-errors" }, a.messages.map((m) => el("li", {}, m)))
      : null;
    const canResubmit = !a.upload && (a.state === "interrupted" || a.state === "failed");
    const resubmit = canResubmit
      ? el("button", { type: "button", class: "secondary" }, "Submit again")
      : null;
    if (resubmit) resubmit.addEventListener("click", () => this.onResubmit(a));
    const links = a.links
      ? el(
          "p",
          { class: "analysis-downloads" },
          "Download: ",
          a.links.map((l) => [el("a", { href: l.href, download: "" }, l.label), " "]),
        )
      : null;
    return el(
      "li",
      { class: "analysis", id, dataset: { state: a.state, seq: a.seq } },
      el(
        "div",
        { class: "analysis-head" },
        el("span", { id: `${id}-title`, class: "analysis-title" }, `Analysis ${a.seq}`),
        el("span", { class: `state state-${a.state}` }, STATE_TEXT[a.state] || a.state),
      ),
      progress,
      el("p", { id: `${id}-counts`, class: "analysis-counts" }, counts),
      note,
      messages,
      links,
      resubmit,
    );
  }
}
