// Builds DOM nodes from plain values. Strings always become text nodes, so data from the
// server or the user can never be parsed as markup (no HTML-parsing sink is used anywhere).
/**
 * el("td", { class: "gene", dataset: { key: "x" } }, "BRCA1", otherNode)
 * Attributes are set with setAttribute; event handlers are attached by the caller.
 */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "dataset") {
      for (const [k, v] of Object.entries(value)) node.dataset[k] = String(v);
    } else if (value === true) {
      node.setAttribute(name, "");
    } else {
      node.setAttribute(name, String(value));
    }
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else if (child instanceof Node) node.appendChild(child);
    else node.appendChild(document.createTextNode(String(child)));
  }
}

/** Replaces all children of `node`. */
export function replaceChildren(node, ...children) {
  node.replaceChildren();
  append(node, children);
}

/** Shortens user input echoed in messages so one huge line cannot flood the page. */
export function excerpt(text, max = 80) {
  const s = String(text);
  return s.length > max ? s.slice(0, max - 1) + "…" : s;
}
