// A batch's sites as the studio shows them: each one's row (its status, step, attempts and why
// they failed, then its project, zip, title and colours once done), the counts in words, and
// the bar of every site's status. Used by the batches list and by a batch's own page.

import { make, plural, str } from "../core/dom.js";
import { palette } from "./scraped.js";

// A site that has ended stays ended: nothing starts it again.
export const ENDED = new Set(["done", "failed", "cancelled"]);

const STATUS = { queued: "Queued", running: "Running", retrying: "Retrying", done: "Done",
                 failed: "Failed", cancelled: "Cancelled", paused: "Paused" };
const STEP = { clone: "clone", build: "build check", export: "export" };
// The bar fills from the left: ended sites first, then those under way, then the waiting.
const BAR_ORDER = ["done", "failed", "cancelled", "running", "retrying", "queued"];

export function statusLabel(status) {
  return STATUS[status] || str(status) || "Unknown";
}

// A status as a badge (its colour from data-status, its word as text).
export function badge(status, className = "badge") {
  const node = make("span", className, statusLabel(status));
  node.dataset.status = str(status);
  return node;
}

// Items (as the API lists them) by their status.
export function countsOf(items) {
  const counts = {};
  for (const item of items) counts[item.status] = (counts[item.status] || 0) + 1;
  return counts;
}

const countOf = (counts, status) => Number(counts && counts[status]) || 0;

export function endedOf(counts) {
  return [...ENDED].reduce((sum, status) => sum + countOf(counts, status), 0);
}

// "12 of 20 ended: 10 done, 2 failed".
export function progressText(counts, total) {
  const parts = [...ENDED].filter((s) => countOf(counts, s)).map((s) => `${countOf(counts, s)} ${s}`);
  return `${endedOf(counts)} of ${total} ended${parts.length ? `: ${parts.join(", ")}` : ""}`;
}

// "2 running, 1 retrying, 5 queued", or "" when nothing is left to do.
export function ongoingText(counts) {
  return ["running", "retrying", "queued"].filter((s) => countOf(counts, s))
    .map((s) => `${countOf(counts, s)} ${s}`).join(", ");
}

// The bar: a cell a site, coloured by its status (the page's CSP allows no style attribute,
// so no width is set; every cell takes its share). A progressbar `bar` also gets its values.
export function paintBar(bar, counts, total) {
  const cells = [];
  for (const status of BAR_ORDER) {
    for (let n = 0; n < countOf(counts, status); n++) {
      const cell = make("span", "cell");
      cell.dataset.status = status;
      cells.push(cell);
    }
  }
  bar.replaceChildren(...cells);
  if (bar.getAttribute("role") === "progressbar") {
    bar.setAttribute("aria-valuemax", String(total));
    bar.setAttribute("aria-valuenow", String(endedOf(counts)));
    bar.setAttribute("aria-valuetext", progressText(counts, total));
  }
}

// A path of the gateway's own (a zip), or null: a confused server's address elsewhere is not
// linked.
function ownPath(url) {
  if (!str(url)) return null;
  let resolved;
  try { resolved = new URL(url, location.href); } catch { return null; }
  if (resolved.origin !== location.origin) return null;
  return resolved.pathname + resolved.search;
}

function facts(item, result) {
  const parts = [];
  if (str(item.step) && item.status !== "queued") {
    parts.push(`step: ${STEP[item.step] || item.step}`);
  }
  const attempts = Number(item.attempts) || 0;
  if (attempts) parts.push(`attempt ${attempts}`);
  if (Number(result.version)) parts.push(`v${Number(result.version)}`);
  if (result.build_ok === true) {
    const seconds = Number(result.build_seconds);
    parts.push(Number.isFinite(seconds) && seconds > 0 ? `builds (${Math.round(seconds)} s)`
                                                        : "builds");
  } else if (result.build_ok === false) {
    parts.push("does not build");
  }
  return parts.join(" · ");
}

// One site's row; `open` keeps its failures shown (a row is redrawn as the site moves).
export function itemRow(item, { open = false } = {}) {
  const result = item.result && typeof item.result === "object" ? item.result : {};
  const url = str(item.url);
  const title = str(result.title);
  const row = make("li", "batch-item");
  row.dataset.id = str(item.id);
  row.dataset.status = str(item.status);
  const head = make("div", "item-head");
  head.append(make("span", "position", `#${(Number(item.position) || 0) + 1}`),
              make("span", "url", url), badge(item.status));
  row.append(head);
  const said = facts(item, result);
  if (said) row.append(make("p", "facts", said));
  if (title || Array.isArray(result.palette) && result.palette.length) {
    const site = make("div", "item-site");
    if (title) site.append(make("p", "item-title", title));
    const colours = palette(result.palette, `Colours of ${title || url}`);
    if (colours.childElementCount) site.append(colours);
    row.append(site);
  }
  if (str(item.error) && item.status !== "done") row.append(make("p", "error", item.error));
  const failures = Array.isArray(item.failures) ? item.failures.map(str).filter(Boolean) : [];
  if (failures.length) {
    const details = make("details", "failures");
    details.open = open;
    const list = make("ol");
    list.append(...failures.map((text) => make("li", "", text)));
    details.append(make("summary", "", plural(failures.length, "failed attempt")), list);
    row.append(details);
  }
  if (item.status === "done") {
    const links = make("div", "item-links");
    const name = title || url;
    if (str(item.project_id)) {
      const project = make("a", "", "Open project");
      project.href = `/p/${encodeURIComponent(item.project_id)}`;
      project.dataset.link = "";
      project.setAttribute("aria-label", `Open project: ${name}`);
      links.append(project);
    }
    const zip = ownPath(result.zip_url);
    if (zip) {
      const download = make("a", "", "Download zip");
      download.href = zip;
      download.download = "";
      download.setAttribute("aria-label", `Download zip: ${name}`);
      links.append(download);
    }
    if (links.childElementCount) row.append(links);
  }
  return row;
}
