// Batches ("/batches"): clone many sites in one go (their addresses one a line, the pages to
// read of each, wishes for every copy, whether each copy's build is checked), and the batches
// started, newest first, with their counts.

import { $, make, plural, str, timeAgo } from "../core/dom.js";
import { HttpError, api, call, getJson } from "../core/http.js";
import { navigate } from "../core/router.js";
import { errorText, notify } from "../core/status.js";
import { badge, ongoingText, paintBar, progressText } from "../panels/batch-items.js";

let controller = null;
let wired = false;

// The form's own line: "busy" while sending, "error" with what went wrong, "" cleared.
function formStatus(text, kind = "") {
  const line = $("batch-form-status");
  line.textContent = text;
  line.dataset.kind = kind;
}

// The addresses refused (each "url: reason", as the gateway words it); none hides the list.
function showRefused(refused) {
  const list = $("batch-refused");
  list.replaceChildren(...refused.map((text) => make("li", "", text)));
  list.hidden = refused.length === 0;
}

function card(batch) {
  const item = make("li", "batch-card");
  item.dataset.id = str(batch.id);
  const total = Number(batch.total) || 0;
  const counts = batch.counts && typeof batch.counts === "object" ? batch.counts : {};
  const link = make("a", "open", str(batch.name) || "Batch");
  link.href = `/b/${encodeURIComponent(batch.id)}`;
  link.dataset.link = "";
  const head = make("div", "card-head");
  head.append(link, badge(batch.status));
  // The card's bar repeats its words: only they are read out.
  const bar = make("div", "batch-bar small-bar");
  bar.setAttribute("aria-hidden", "true");
  paintBar(bar, counts, total);
  const started = timeAgo(batch.created_at);
  const meta = [ongoingText(counts), started && `started ${started}`].filter(Boolean);
  item.append(head, bar, make("p", "summary", progressText(counts, total)));
  if (meta.length) item.append(make("p", "meta", meta.join(" · ")));
  return item;
}

async function refresh() {
  let batches;
  try {
    batches = await getJson(api.batches, { signal: controller.signal });
  } catch (err) {
    if (err.name !== "AbortError") notify(err);
    return;
  }
  const list = Array.isArray(batches) ? batches : [];
  $("batch-list").replaceChildren(...list.map(card));
  $("batch-list-empty").hidden = list.length > 0;
  const n = list.length;
  $("batch-count").textContent = n ? `· ${n} batch${n === 1 ? "" : "es"}` : "";
}

// The addresses typed, one a line, each once.
function addressesOf(text) {
  return [...new Set(text.split(/\r?\n/).map((line) => line.trim()).filter(Boolean))];
}

async function start() {
  const urls = addressesOf($("batch-urls").value);
  showRefused([]);
  if (!urls.length) {
    formStatus("List at least one address.", "error");
    $("batch-urls").focus();
    return;
  }
  const body = { urls, pages: Number($("batch-pages").value) || 1,
                 prompt: $("batch-wishes").value.trim(), build_check: $("batch-check").checked };
  $("batch-start").disabled = true;
  formStatus(`Starting ${plural(urls.length, "site")}…`, "busy");
  try {
    const made = await call("POST", api.batches, body, { signal: controller.signal });
    $("batch-form").reset();
    formStatus("", "");
    navigate(`/b/${encodeURIComponent(made.batch_id)}`);
  } catch (err) {
    if (err.name === "AbortError") return;
    const detail = err instanceof HttpError ? err.detail : null;
    if (detail && typeof detail === "object" && Array.isArray(detail.refused)) {
      // One address refused refuses the batch: each is named, to be corrected or removed.
      const said = str(detail.message) || "some addresses may not be read";
      formStatus(`${said.charAt(0).toUpperCase()}${said.slice(1)}:`, "error");
      showRefused(detail.refused.map(str).filter(Boolean));
    } else {
      formStatus(errorText(err), "error");
      if (err instanceof HttpError && err.status === 401) notify(err);
    }
  } finally {
    $("batch-start").disabled = false;
  }
}

function wire() {
  if (wired) return;
  wired = true;
  $("batch-form").addEventListener("submit", (e) => {
    e.preventDefault();
    start();
  });
}

export const batches = {
  show() {
    wire();
    controller = new AbortController();
    document.title = "Batches · Paynto";
    $("sign-in").hidden = true;
    $("batches").hidden = false;
    refresh();
    // Counts move while sites are cloned: the list stays current while the page is open.
    const timer = setInterval(refresh, 15_000);
    controller.signal.addEventListener("abort", () => clearInterval(timer));
  },
  hide() {
    controller?.abort();
    $("batches").hidden = true;
    notify(null);
  },
};
