// One batch ("/b/<id>"): its progress, pause, resume and cancel, its CSV report, and every
// site's way through clone, build check and export, followed live on the batch's channel.

import { $, str, timeAgo } from "../core/dom.js";
import { ask } from "../core/dialog.js";
import { HttpError, api, call, getJson } from "../core/http.js";
import { eventData, follow, seen } from "../core/sse.js";
import { errorText, notify } from "../core/status.js";
import { ENDED, countsOf, itemRow, ongoingText, paintBar, progressText,
         statusLabel } from "../panels/batch-items.js";

// The batch shown: { id, batch, items: Map(id → item), controller, stream }.
let view = null;
let wired = false;

// The batch's own line: "busy", "error" with what went wrong, "" cleared.
function say(text, kind = "") {
  const line = $("batch-line");
  line.textContent = text;
  line.dataset.kind = kind;
}

function sorted(v) {
  return [...v.items.values()].sort((a, b) => (a.position || 0) - (b.position || 0));
}

function showHeader(v) {
  const batch = v.batch;
  const name = str(batch.name) || "Batch";
  $("batch-name").textContent = name;
  document.title = `${name} · Paynto`;
  $("batch-state").textContent = statusLabel(batch.status);
  $("batch-state").dataset.status = str(batch.status);
  const items = [...v.items.values()];
  const counts = countsOf(items);
  const total = items.length;
  paintBar($("batch-bar"), counts, total);
  $("batch-summary").textContent = progressText(counts, total);
  const pages = Number(batch.pages) || 1;
  const facts = [ongoingText(counts), batch.created_at && `started ${timeAgo(batch.created_at)}`,
                 `${pages} page${pages === 1 ? "" : "s"} a site`,
                 batch.build_check === false ? "no build check" : "build checked"];
  $("batch-meta").textContent = facts.filter(Boolean).join(" · ");
  $("batch-pause").hidden = batch.status !== "running";
  $("batch-resume").hidden = batch.status !== "paused";
  $("batch-cancel").hidden = !["running", "paused"].includes(batch.status);
  $("batch-report").href = api.batchReport(v.id, "csv");
  $("batch-head").hidden = false;
}

function showItems(v) {
  $("batch-items").replaceChildren(...sorted(v).map((item) => itemRow(item)));
}

// One site moved: its row is redrawn (its failures stay open if they were), and the header's
// counts follow.
function update(v, item) {
  if (!item || !str(item.id)) return;
  const known = v.items.get(item.id);
  // Replayed from the start of the channel, an older event must not bring an ended site back.
  if (known && ENDED.has(known.status) && !ENDED.has(item.status)) return;
  v.items.set(item.id, item);
  const rows = [...$("batch-items").children];
  const old = rows.find((row) => row.dataset.id === item.id);
  if (old) {
    const open = Boolean(old.querySelector("details.failures")?.open);
    old.replaceWith(itemRow(item, { open }));
  } else {
    showItems(v);
  }
  showHeader(v);
}

// The batch as the API answers it (GET, pause, resume, cancel): header and, with its items,
// every row.
function apply(v, batch) {
  v.batch = batch;
  if (Array.isArray(batch.items)) {
    v.items = new Map(batch.items.map((item) => [item.id, item]));
    showItems(v);
  }
  showHeader(v);
}

async function reload(v) {
  try {
    const batch = await getJson(api.batch(v.id), { signal: v.controller.signal });
    if (view === v) apply(v, batch);
  } catch (err) {
    if (err.name !== "AbortError") say(errorText(err), "error");
  }
}

function onEvent(v, ev) {
  if (view !== v || seen(v.stream, ev)) return v.stream.finished;
  const data = eventData(ev);
  // Events again after "reconnecting…": the link works.
  if ($("batch-line").dataset.kind === "busy") say("", "");
  switch (ev.event) {
    case "batch_item":
      update(v, data);
      break;
    case "complete":
      v.stream.finished = true;
      say("", "");
      reload(v);
      break;
    default:
      break;
  }
  return v.stream.finished;
}

// Whether anything of the batch can still move.
function live(v) {
  return !["done", "cancelled"].includes(v.batch.status) ||
    [...v.items.values()].some((item) => !ENDED.has(item.status));
}

async function followBatch(v) {
  v.stream = { lastEventId: null, finished: false, controller: v.controller };
  await follow(v.stream, null, () => api.batchEvents(v.id), (ev) => onEvent(v, ev), "batch",
               { say: (what, kind) => {
                 if (view === v) say(typeof what === "string" ? what : errorText(what), kind);
               } });
}

// Pause, resume or (once asked) cancel the batch shown.
async function act(action) {
  const v = view;
  if (!v || !v.batch) return;
  if (action === "cancel") {
    const sure = await ask({
      heading: `Cancel “${str(v.batch.name) || "this batch"}”?`, ok: "Cancel batch",
      danger: true,
      text: "Sites not started are dropped and those under way stopped. Sites already done " +
            "keep their projects." });
    if (!sure || view !== v) return;
  }
  const buttons = [$("batch-pause"), $("batch-resume"), $("batch-cancel")];
  for (const b of buttons) b.disabled = true;
  try {
    const batch = await call("POST", api.batchAction(v.id, action), undefined,
                             { signal: v.controller.signal });
    if (view !== v) return;
    say("", "");
    apply(v, batch);
  } catch (err) {
    if (err.name === "AbortError") return;
    say(errorText(err), "error");
    if (err instanceof HttpError && err.status === 401) notify(err);
    // Not possible any more (it ended meanwhile): show how it is now.
    if (err instanceof HttpError && err.status === 409) reload(v);
  } finally {
    for (const b of buttons) b.disabled = false;
  }
}

function wire() {
  if (wired) return;
  wired = true;
  $("batch-pause").addEventListener("click", () => act("pause"));
  $("batch-resume").addEventListener("click", () => act("resume"));
  $("batch-cancel").addEventListener("click", () => act("cancel"));
}

async function open(id) {
  const v = { id, batch: null, items: new Map(), controller: new AbortController(),
              stream: null };
  view = v;
  $("sign-in").hidden = true;
  $("batch").hidden = false;
  $("batch-head").hidden = true;
  $("batch-missing").hidden = true;
  $("batch-items").replaceChildren();
  say("", "");
  document.title = "Batch · Paynto";
  let batch;
  try {
    batch = await getJson(api.batch(id), { signal: v.controller.signal });
  } catch (err) {
    if (view !== v || err.name === "AbortError") return;
    if (err instanceof HttpError && err.status === 404) {
      $("batch-missing").hidden = false;
      document.title = "Batch not found · Paynto";
    } else {
      notify(err);
    }
    return;
  }
  if (view !== v) return;
  apply(v, batch);
  if (live(v)) followBatch(v);
}

export const batch = {
  show(params, query, { same }) {
    wire();
    if (same && view && view.id === params.id) return;
    open(params.id);
  },
  hide() {
    if (view) {
      if (view.stream) view.stream.finished = true;
      view.controller.abort();
    }
    view = null;
    $("batch").hidden = true;
    notify(null);
  },
};
