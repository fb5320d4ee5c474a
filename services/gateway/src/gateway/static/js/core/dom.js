// Small DOM helpers. Everything from the server or a model is set as text, never parsed as HTML.

export const $ = (id) => document.getElementById(id);

// An element with a class and text; the text is never parsed as HTML.
export function make(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = String(text);
  return node;
}

// A button of type "button" with a label, an optional accessible name and a click handler.
export function button(className, text, onClick, label) {
  const node = make("button", className, text);
  node.type = "button";
  if (label) node.setAttribute("aria-label", label);
  if (onClick) node.addEventListener("click", onClick);
  return node;
}

// A server (or model) value as text, or "" when it is not a string: "[object Object]" helps no one.
export const str = (value) => (typeof value === "string" ? value : "");

export function plural(n, word) {
  return `${n.toLocaleString("en-US")} ${word}${n === 1 ? "" : "s"}`;
}

// "just now", "5 min ago", "3 h ago", "2 days ago", then the date.
export function timeAgo(value, now = Date.now()) {
  const when = new Date(value).getTime();
  if (!Number.isFinite(when)) return "";
  const seconds = Math.max(0, Math.round((now - when) / 1000));
  if (seconds < 45) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.round(hours / 24);
  if (days < 14) return `${days} day${days === 1 ? "" : "s"} ago`;
  return new Date(when).toLocaleDateString("en-US", { year: "numeric", month: "short",
                                                       day: "numeric" });
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
