// The studio's script (a file of its own: the page's CSP allows no inline script).
"use strict";

const STORE_KEY = "paynto.studio";
const MAX_RETRIES = 10;
const MAX_PROBLEMS = 10;

const $ = (id) => document.getElementById(id);
const ui = {
  form: $("prompt-form"), prompt: $("prompt"), generate: $("generate"), plan: $("plan"),
  status: $("status"), usage: $("usage"),
  details: $("details"), output: $("output"), files: $("files"), packages: $("packages"),
  fileCount: $("file-count"), iframe: $("preview"), empty: $("preview-empty"),
  previewUrl: $("preview-url"), open: $("open-preview"), projectName: $("project-name"),
  newProject: $("new-project"), workspace: $("workspace"), signIn: $("sign-in"),
  account: $("account"), accountName: $("account-name"), signOut: $("sign-out"),
  problems: $("problems"), problemList: $("problem-list"), problemCount: $("problem-count"),
  clearProblems: $("clear-problems"),
  board: $("board"), planTitle: $("plan-title"), planSummary: $("plan-summary"),
  planMeta: $("plan-meta"), planState: $("plan-state"), build: $("build-plan"),
  pause: $("pause-plan"), resume: $("resume-plan"), addTicket: $("add-ticket"),
  columns: { backlog: $("col-backlog"), progress: $("col-progress"), done: $("col-done"),
             failed: $("col-failed") },
  counts: { backlog: $("count-backlog"), progress: $("count-progress"), done: $("count-done"),
            failed: $("count-failed") },
  ticketDialog: $("ticket-dialog"), ticketForm: $("ticket-form"),
  ticketHeading: $("ticket-dialog-heading"), ticketTitle: $("ticket-title"),
  ticketDescription: $("ticket-description"), ticketAcceptance: $("ticket-acceptance"),
  ticketType: $("ticket-type"), ticketPriority: $("ticket-priority"),
  ticketComplexity: $("ticket-complexity"), ticketNeeds: $("ticket-needs"),
  ticketFiles: $("ticket-files"), ticketError: $("ticket-error"), ticketSave: $("ticket-save"),
  ticketCancel: $("ticket-cancel"),
};

// --- persistence: the project (and an unfinished job) survive a reload ---------------------

function loadStore() {
  try { return JSON.parse(localStorage.getItem(STORE_KEY)) || {}; } catch { return {}; }
}
function saveStore(patch) {
  const next = Object.assign(loadStore(), patch);
  try { localStorage.setItem(STORE_KEY, JSON.stringify(next)); } catch { /* private mode */ }
  return next;
}

// --- small UI helpers (text only: nothing from the server is parsed as HTML) ---------------

function setStatus(text, kind = "") {
  ui.status.textContent = text;
  ui.status.dataset.kind = kind;
}

// An element with a class and text; the text is never parsed as HTML.
function make(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = String(text);
  return node;
}

// A server (or model) value as text, or "" when it is not a string: "[object Object]" helps no one.
const str = (value) => (typeof value === "string" ? value : "");

function plural(n, word) {
  return `${n.toLocaleString("en-US")} ${word}${n === 1 ? "" : "s"}`;
}

function appendOutput(text) {
  const el = ui.output;
  // Follow the stream only while the reader is at the bottom, so scrolling up to read works.
  const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
  el.append(text);
  if (atBottom) el.scrollTop = el.scrollHeight;
}

const seenFiles = new Set();
function addFile(path) {
  if (!path || seenFiles.has(path)) return;
  seenFiles.add(path);
  const li = document.createElement("li");
  li.textContent = path;
  ui.files.append(li);
  ui.fileCount.textContent = `· ${seenFiles.size} file${seenFiles.size === 1 ? "" : "s"}`;
}
function setFiles(paths) {
  seenFiles.clear();
  ui.files.replaceChildren();
  paths.forEach(addFile);
}

const seenPackages = new Set();
function addPackage(name) {
  if (!name || seenPackages.has(name)) return;
  seenPackages.add(name);
  const li = document.createElement("li");
  li.textContent = name;
  ui.packages.append(li);
}

function resetPanel() {
  ui.output.textContent = "";
  setFiles([]);
  ui.fileCount.textContent = "";
  seenPackages.clear();
  ui.packages.replaceChildren();
}

function showPreview(url) {
  if (!url) return;
  let resolved;
  try { resolved = new URL(url, location.href); } catch { return; }
  // Only http(s): a javascript: or data: URL from a confused server must not run here.
  if (resolved.protocol !== "http:" && resolved.protocol !== "https:") return;
  // The same preview under a freshly signed link (AUTH_MODE=required signs each one anew)
  // keeps its page: HMR updates it, and the cookie its first link left lets reloads in.
  const shown = ui.iframe.getAttribute("src");
  const current = shown ? new URL(shown, location.href) : null;
  if (!current || current.origin + current.pathname !== resolved.origin + resolved.pathname) {
    ui.iframe.src = resolved.href;
  }
  ui.empty.hidden = true;
  // The path only: a link's signature is not for showing.
  ui.previewUrl.textContent = resolved.pathname;
  ui.open.href = resolved.href;
  ui.open.hidden = false;
  saveStore({ previewUrl: resolved.href });
}

function showProject(project) {
  ui.projectName.hidden = !project;
  ui.projectName.textContent = project ? project.name : "";
  watchProject(project && project.id);
}

// --- HTTP -------------------------------------------------------------------------------

class HttpError extends Error {
  constructor(status, message, retryAfter) {
    super(message);
    this.status = status;
    this.retryAfter = retryAfter;
  }
  // 408/429/5xx may pass; any other 4xx will answer the same next time.
  get retryable() { return this.status === 408 || this.status === 429 || this.status >= 500; }
}

async function errorFrom(response) {
  let text = "";
  try { text = await response.text(); } catch { /* body lost with the connection */ }
  let message = text.trim().slice(0, 300) || response.statusText || "request failed";
  try {
    const detail = JSON.parse(text).detail;
    if (typeof detail === "string") {
      message = detail;
    } else if (Array.isArray(detail)) {
      // FastAPI's 422 list: [{loc: ["body", "prompt"], msg: "..."}, ...]
      message = detail.map((d) => {
        const where = Array.isArray(d.loc) ? d.loc.filter((p) => p !== "body").join(".") : "";
        return (where ? where + ": " : "") + (d.msg || JSON.stringify(d));
      }).join("\n");
    } else if (detail !== undefined) {
      message = JSON.stringify(detail);
    }
  } catch { /* not JSON: keep the text */ }
  const retryAfter = Number(response.headers.get("Retry-After")) || 0;
  return new HttpError(response.status, `${response.status}: ${message}`, retryAfter);
}

function errorText(err) {
  return err instanceof HttpError ? err.message : `Request failed: ${err.message || err}`;
}

// A JSON request; without a body (a DELETE) none is sent.
async function sendJson(method, url, body) {
  const headers = { "Accept": "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  return fetch(url, { method, headers,
                      body: body === undefined ? undefined : JSON.stringify(body) });
}

async function postJson(url, body) {
  return sendJson("POST", url, body);
}

async function getJson(url) {
  const response = await fetch(url, { headers: { "Accept": "application/json" },
                                      cache: "no-store" });
  if (!response.ok) throw await errorFrom(response);
  return response.json();
}

async function ensureProject(prompt) {
  const store = loadStore();
  if (store.project && store.project.id) return store.project;
  const name = prompt.trim().split(/\s+/).slice(0, 6).join(" ").slice(0, 60) || "Untitled site";
  const response = await postJson("/api/projects", { name });
  if (!response.ok) throw await errorFrom(response);
  const project = await response.json();
  saveStore({ project: { id: project.id, name: project.name ?? name } });
  showProject(loadStore().project);
  showPlan(null); // a new project has no plan yet
  return loadStore().project;
}

// --- costs: what the project's model calls used ----------------------------------------------

function usd(cost) {
  if (cost <= 0) return "$0";
  if (cost < 0.0001) return "< $0.0001";
  return "$" + cost.toFixed(cost < 1 ? 4 : 2);
}

function showUsage(usage) {
  const calls = Number(usage.calls) || 0;
  const tokens = (Number(usage.prompt_tokens) || 0) + (Number(usage.completion_tokens) || 0);
  const cost = Number(usage.cost_usd) || 0;
  // A local model or the offline generator costs nothing: say why rather than a bare $0.
  const price = cost > 0 ? usd(cost) : "local/offline: $0";
  ui.usage.textContent = calls
    ? `${plural(calls, "model call")} · ${plural(tokens, "token")} · ${price}`
    : "0 model calls · $0";
  const byModel = usage.by_model && typeof usage.by_model === "object" ? usage.by_model : {};
  const lines = Object.entries(byModel).map(([model, row]) =>
    `${model}: ${plural(Number(row && row.calls) || 0, "call")}, ` +
    `${usd(Number(row && row.cost_usd) || 0)}`);
  ui.usage.title = ["Model usage of this project", ...lines].join("\n");
  ui.usage.hidden = false;
}

let usageAsked = 0;
async function refreshUsage() {
  const project = loadStore().project;
  if (!project || !project.id) { ui.usage.hidden = true; return; }
  // Answers may cross: only the last one asked is shown.
  const asked = ++usageAsked;
  try {
    const usage = await getJson(`/api/projects/${encodeURIComponent(project.id)}/usage`);
    if (asked === usageAsked) showUsage(usage);
  } catch { /* costs are a side note: the last figures stay until the next refresh */ }
}

function autofixNote(autofix) {
  if (!autofix || typeof autofix !== "object") return "";
  if (autofix.stopped) return `auto-fix stopped: ${str(autofix.stopped) || "unknown reason"}`;
  const rounds = Number(autofix.rounds) || 0;
  return autofix.fixed && rounds ? `fixed after ${plural(rounds, "round")}` : "";
}

// --- Server-Sent Events over fetch (EventSource cannot POST or set Last-Event-ID) -------------

// Calls onEvent for each complete event until the stream ends or onEvent returns true.
async function readSse(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let data = [];
  let eventName = "";
  let id = null;
  let stop = false;
  const dispatch = () => {
    if (data.length) stop = onEvent({ id, event: eventName || "message", data: data.join("\n") });
    data = [];
    eventName = "";
    id = null;
  };
  const takeLine = (line) => {
    if (line === "") return dispatch();
    if (line.startsWith(":")) return; // a comment, e.g. ": ping" keep-alives
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") data.push(value);
    else if (field === "event") eventName = value;
    else if (field === "id" && !value.includes("\0")) id = value;
    // "retry" and unknown fields: the reconnect policy here is our own.
  };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      // Lines end in \r\n, \n or \r; a \r at the very end may be half of a \r\n still in flight.
      let match;
      const lineEnd = /\r\n|\n|\r(?!$)/g;
      let start = 0;
      while ((match = lineEnd.exec(buffer)) !== null) {
        takeLine(buffer.slice(start, match.index));
        start = match.index + match[0].length;
        if (stop) break;
      }
      buffer = buffer.slice(start);
      if (done || stop) break;
    }
  } finally {
    if (stop) reader.cancel().catch(() => {});
  }
  // An event without its closing blank line was cut off: it is dropped, the server resends it.
}

function eventData(ev) {
  try { return ev.data ? JSON.parse(ev.data) : {}; } catch { return { text: ev.data }; }
}

// Whether an event of `stream` was already shown; if not, it becomes the stream's last one.
function seen(stream, ev) {
  // Event ids are a stream's sequence numbers; one that is not newer was already shown.
  if (ev.id !== null && stream.lastEventId !== null) {
    const a = Number(ev.id), b = Number(stream.lastEventId);
    if (Number.isFinite(a) && Number.isFinite(b) && a <= b) return true;
  }
  if (ev.id !== null) stream.lastEventId = ev.id;
  return false;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
function backoff(attempt, floorMs = 0) {
  const ms = Math.min(500 * 2 ** (attempt - 1), 10_000);
  return Math.max(floorMs, ms / 2 + Math.random() * ms / 2);
}

// Follows one event stream (a job's, or a plan's build run) until `stream.finished`,
// reconnecting to url() — null while the stream's id is unknown — from Last-Event-ID.
// A `background` stream (the project's channel, which never ends) leaves the status line to
// the job and never gives up; it stops only on an answer that will not change (a 404).
async function follow(stream, firstResponse, url, onEvent, what, { background = false } = {}) {
  const say = background ? () => {} : setStatus;
  let response = firstResponse;
  let retries = 0;
  while (!stream.finished) {
    const before = stream.lastEventId;
    let failure = null;
    try {
      if (!response) {
        const headers = { "Accept": "text/event-stream" };
        if (stream.lastEventId !== null) headers["Last-Event-ID"] = stream.lastEventId;
        response = await fetch(url(), { headers, cache: "no-store",
                                        signal: stream.controller?.signal });
      }
      if (!response.ok) throw await errorFrom(response);
      if (!(response.headers.get("Content-Type") || "").startsWith("text/event-stream")) {
        throw new HttpError(response.status, "the server did not answer with an event stream");
      }
      await readSse(response, onEvent);
    } catch (err) {
      failure = err;
    }
    response = null;
    if (stream.finished) break;
    if (failure instanceof HttpError && !failure.retryable) {
      say(failure.message, "error");
      return;
    }
    if (!url()) {
      say(`The connection dropped before the ${what} started. Try again.`, "error");
      return;
    }
    // Progress since the last reconnect means the link works: start the backoff over.
    retries = stream.lastEventId !== before ? 1 : retries + 1;
    if (retries > MAX_RETRIES && !background) {
      say(`Lost the connection to the server. Reload the page to pick the ${what} up again.`,
          "error");
      return;
    }
    say(`Connection lost; reconnecting (attempt ${retries})…`, "busy");
    await sleep(backoff(Math.min(retries, MAX_RETRIES),
                        (failure && failure.retryAfter || 0) * 1000));
  }
}

// --- one job (a generation or a plan): its events -----------------------------------------

// kind: "generate" or "plan"; busy from the request until the job's stream is let go.
const job = { id: null, lastEventId: null, finished: false, kind: "generate", busy: false };

// Shows one event; true once the job is over.
function handleEvent(ev) {
  if (seen(job, ev)) return false;
  const data = eventData(ev);
  switch (ev.event) {
    case "job":
      job.id = data.job_id;
      saveStore({ job: { id: job.id, finished: false, kind: job.kind } });
      break;
    case "status":
      // A worker restarted the job, or another model or a fix round took over: what was
      // streamed so far is void.
      if (data.reset) ui.output.textContent = "";
      // Auto-fix rounds ("autofix": n) and their stop come as status lines too.
      setStatus(data.message || "Working…", "busy");
      break;
    case "stream":
      if (data.text) appendOutput(data.text);
      break;
    case "file":
      addFile(data.path);
      break;
    case "package":
      addPackage(data.name);
      setStatus(`Installing ${data.name}…`, "busy");
      break;
    case "preview_error":
      addProblem(data);
      break;
    case "preview":
      showPreview(data.preview_url);
      break;
    case "blueprint":
      showPlan({ id: data.plan_id, state: "planned", blueprint: data.blueprint, tickets: [] });
      break;
    case "ticket":
      putTicket(data);
      break;
    case "plan_complete":
      setStatus("Plan ready; saving the board…", "busy");
      break;
    case "complete":
      job.finished = true;
      if (job.kind === "plan") planned(data);
      else generated(data);
      break;
    case "error":
      job.finished = true;
      setStatus(`${job.kind === "plan" ? "Planning" : "Generation"} failed: ` +
                `${data.message || "unknown error"}`, "error");
      break;
    case "cancelled":
      job.finished = true;
      setStatus(`${job.kind === "plan" ? "Planning" : "Generation"} was cancelled.`, "error");
      break;
    default:
      break; // events from a newer gateway are ignored
  }
  if (job.finished) saveStore({ job: { id: job.id, finished: true, kind: job.kind } });
  return job.finished;
}

function generated(data) {
  if (Array.isArray(data.files)) setFiles(data.files);
  showPreview(data.preview_url);
  // The job's own check found nothing wrong: what the list showed is taken as fixed. What is
  // still broken elsewhere, the dev server or the reloaded preview reports again.
  if (data.preview_errors === 0) setProblems([]);
  const files = Array.isArray(data.files) ? data.files.length : seenFiles.size;
  const version = data.version ? ` · version ${data.version}` : "";
  const errors = Number(data.preview_errors) || 0;
  const notes = [autofixNote(data.autofix),
                 errors ? `${plural(errors, "problem")} in the preview` : ""].filter(Boolean);
  setStatus(`Done: ${files} file${files === 1 ? "" : "s"}${version}` +
            `${notes.map((n) => " · " + n).join("")}.`,
            errors || (data.autofix && data.autofix.stopped) ? "warn" : "ok");
}

function planned(data) {
  const count = typeof data.tickets === "number" ? data.tickets : plan.tickets.size;
  setStatus(`Planned ${plural(count, "ticket")}. Press Build to build them.`, "ok");
  if (data.plan_id) loadPlan(data.plan_id);
}

function followJob(firstResponse) {
  const url = () => (job.id ? `/api/jobs/${encodeURIComponent(job.id)}/events` : null);
  return follow(job, firstResponse, url, handleEvent, "job");
}

// Sends the prompt to `endpoint` for the current project (made first if there is none) and
// follows the job it starts. `remember`: the prompt is the user's, to restore after a reload.
async function startJob(kind, endpoint, prompt, { remember = true } = {}) {
  Object.assign(job, { id: null, lastEventId: null, finished: false, kind, busy: true });
  updateControls();
  resetPanel();
  ui.details.open = true;
  try {
    setStatus("Creating the project…", "busy");
    let project = await ensureProject(prompt);
    setStatus("Starting…", "busy");
    let response = await postJson(endpoint, { project_id: project.id, prompt });
    if (response.status === 404) {
      // The stored project is gone (a fresh database): make a new one, once.
      saveStore({ project: null });
      project = await ensureProject(prompt);
      response = await postJson(endpoint, { project_id: project.id, prompt });
    }
    if (!response.ok) throw await errorFrom(response);
    if (remember) saveStore({ prompt });
    await followJob(response);
  } catch (err) {
    setStatus(errorText(err), "error");
  } finally {
    job.busy = false;
    updateControls();
    refreshUsage();
  }
}

// --- the plan's board and its build runs ------------------------------------------------------

const COLUMN_OF = {
  backlog: "backlog",
  queued: "progress", generating: "progress", applying: "progress", checking: "progress",
  done: "done",
  failed: "failed", blocked: "failed",
};

// Only a ticket not being built and not built yet can change, as the API allows.
const EDITABLE = new Set(["backlog", "failed", "blocked"]);

// The board shown: the project's latest plan. `shownVersion` is the newest project version a
// done ticket has put in the preview; `pending` while a pause or retry request is out;
// `events` counts the run's events shown, for telling a stale snapshot of the board.
const plan = { id: null, state: "", blueprint: {}, tickets: new Map(), shownVersion: 0,
               pending: false, events: 0 };

// The build run followed; each run is its own object, so a stale one can tell it is stale.
let run = { planId: null, lastEventId: null, finished: true, following: false, controller: null };

function showPlan(data) {
  if (!data || !data.id) {
    Object.assign(plan, { id: null, state: "", blueprint: {}, tickets: new Map() });
    renderBoard();
    return;
  }
  const tickets = Array.isArray(data.tickets) ? data.tickets.filter((t) => t && t.key) : [];
  let newest = null;
  for (const ticket of tickets) {
    if (ticket.state === "done" && Number(ticket.version) > (Number(newest?.version) || 0)) {
      newest = ticket;
    }
  }
  const version = Number(newest?.version) || 0;
  const samePlan = plan.id === data.id;
  Object.assign(plan, {
    id: data.id, state: str(data.state) || "planned",
    blueprint: data.blueprint && typeof data.blueprint === "object" ? data.blueprint : {},
    tickets: new Map(tickets.map((t) => [t.key, t])),
  });
  renderBoard();
  // A plan opened as it is shows versions the preview already has; the board of the plan in
  // view may bring a version that its events did not.
  if (!samePlan) {
    plan.shownVersion = version;
  } else if (version > plan.shownVersion) {
    plan.shownVersion = version;
    showTicketPreview(newest);
  }
}

function putTicket(ticket) {
  if (!plan.id || !ticket || !ticket.key) return;
  plan.tickets.set(ticket.key, ticket);
  plan.events += 1;
  renderBoard();
  const version = Number(ticket.version) || 0;
  if (ticket.state === "done" && version > plan.shownVersion) {
    plan.shownVersion = version;
    showTicketPreview(ticket);
  }
  // Its job is over: the model calls it made are in the ledger now.
  if (ticket.state === "done" || ticket.state === "failed") refreshUsage();
}

// A done ticket's job applied a new version of the project: show it as after a generation.
async function showTicketPreview(ticket) {
  if (!ticket.job_id) return;
  try {
    const done = await getJson(`/api/jobs/${encodeURIComponent(ticket.job_id)}`);
    showPreview(done.result && done.result.preview_url);
  } catch { /* the next ticket, or a reload, shows the preview */ }
}

function ticketCard(ticket) {
  const column = COLUMN_OF[ticket.state] || "backlog";
  const card = make("li", "ticket");
  card.dataset.state = str(ticket.state);
  card.dataset.column = column;
  const head = make("div", "ticket-head");
  head.append(make("span", "key", str(ticket.key)), make("span", "state", str(ticket.state)));
  card.append(head, make("div", "title", str(ticket.title)));
  const facts = [ticket.type, ticket.priority, ticket.complexity].map(str).filter(Boolean);
  if (facts.length) card.append(make("div", "meta", facts.join(" · ")));
  const needs = Array.isArray(ticket.depends_on) ? ticket.depends_on.map(str).filter(Boolean) : [];
  if (needs.length) card.append(make("div", "meta", `needs ${needs.join(", ")}`));
  if (ticket.state === "done" && ticket.version) {
    card.append(make("div", "meta", `version ${ticket.version}`));
  }
  if (str(ticket.acceptance)) card.title = `Done when: ${ticket.acceptance}`;
  if (column === "failed" && str(ticket.error)) card.append(make("p", "error", ticket.error));
  const actions = make("div", "actions");
  const action = (className, text, onClick) => {
    const button = make("button", className, text);
    button.type = "button";
    button.setAttribute("aria-label", `${text} ${str(ticket.key)}`);
    button.addEventListener("click", onClick);
    actions.append(button);
    return button;
  };
  if (column === "failed") {
    action("retry", "Retry", () => retryTicket(ticket.key)).disabled = plan.pending;
  }
  // A ticket being built, or built, keeps what it was built from.
  if (EDITABLE.has(ticket.state)) {
    action("edit", "Edit", () => openTicketForm(ticket.key)).disabled = boardFrozen();
    action("remove", "Remove", () => removeTicket(ticket.key)).disabled = boardFrozen();
  }
  if (actions.childElementCount) card.append(actions);
  return card;
}

function renderBoard() {
  ui.board.hidden = !plan.id;
  const blueprint = plan.blueprint;
  ui.planTitle.textContent = str(blueprint.title) || "Untitled plan";
  ui.planSummary.textContent = str(blueprint.summary);
  const routes = Array.isArray(blueprint.routes) ? blueprint.routes.map(str).filter(Boolean) : [];
  const meta = [];
  if (routes.length) meta.push(`${routes.length === 1 ? "Page" : "Pages"}: ${routes.join(", ")}`);
  if (str(blueprint.data_mode)) meta.push(`data: ${blueprint.data_mode}`);
  ui.planMeta.textContent = meta.join(" · ");
  ui.planState.textContent = plan.state;
  const cards = { backlog: [], progress: [], done: [], failed: [] };
  for (const ticket of plan.tickets.values()) {
    cards[COLUMN_OF[ticket.state] || "backlog"].push(ticketCard(ticket));
  }
  for (const [column, list] of Object.entries(cards)) {
    ui.columns[column].replaceChildren(...list);
    ui.counts[column].textContent = list.length ? `· ${list.length}` : "";
  }
  updateControls();
}

// One job or one build at a time: both write new versions of the project.
function updateControls() {
  const busy = job.busy || run.following;
  ui.generate.disabled = busy;
  ui.plan.disabled = busy;
  ui.build.hidden = plan.state !== "planned";
  ui.pause.hidden = plan.state !== "running";
  // A built plan given a new ticket is built on the same way as a stopped one.
  const more = plan.state === "done" &&
               [...plan.tickets.values()].some((t) => t.state === "backlog");
  ui.resume.hidden = plan.state !== "paused" && plan.state !== "stopped" && !more;
  ui.build.disabled = busy || plan.pending;
  for (const button of ui.problemList.querySelectorAll("button.fix")) button.disabled = busy;
  // A paused run may still be finishing its tickets; resuming starts a new run at once.
  ui.resume.disabled = job.busy || plan.pending;
  ui.pause.disabled = plan.pending;
  for (const button of ui.board.querySelectorAll("button.retry")) button.disabled = plan.pending;
  const frozen = boardFrozen();
  ui.addTicket.disabled = frozen;
  for (const button of ui.board.querySelectorAll("button.edit, button.remove")) {
    button.disabled = frozen;
  }
}

// A snapshot of the board asked for before the run's last event may be older than the board:
// it is shown only when no event came while it was on its way, else asked for again.
async function loadPlan(planId) {
  for (let attempt = 0; attempt < 3; attempt++) {
    const asked = plan.events;
    let data;
    try {
      data = await getJson(`/api/plans/${encodeURIComponent(planId)}`);
    } catch {
      return; // the board keeps what the events showed
    }
    if (plan.id !== planId) return;
    if (plan.events === asked) {
      showPlan(data);
      return;
    }
  }
}

// The project's latest plan, and its run if one is going on.
async function loadLatestPlan(projectId) {
  let plans;
  try {
    plans = await getJson(`/api/projects/${encodeURIComponent(projectId)}/plans`);
  } catch {
    return; // no plan to show (or an older gateway)
  }
  if (!Array.isArray(plans) || !plans.length) return;
  showPlan(plans[0]);
  if (plan.state === "running") followRun(newRun(plan.id), null);
}

// A new build run of plan `planId`; a run still followed is let go (its plan moved on).
function newRun(planId) {
  if (!run.finished) {
    run.finished = true;
    run.controller.abort();
  }
  run = { planId, lastEventId: null, finished: false, following: true,
          controller: new AbortController() };
  updateControls();
  return run;
}

// Shows one event of build run `r`; true once the run is over.
function handleRunEvent(r, ev) {
  if (r !== run) return true;
  if (seen(r, ev)) return false;
  const data = eventData(ev);
  switch (ev.event) {
    case "status":
      setStatus(data.message || "Building…", "busy");
      break;
    case "ticket":
      putTicket(data);
      break;
    case "complete":
      r.finished = true;
      runEnded(data);
      break;
    case "error":
      r.finished = true;
      setStatus(`Build failed: ${data.message || "unknown error"}`, "error");
      break;
    default:
      break;
  }
  return r.finished;
}

function runEnded(data) {
  const state = str(data.state) || "stopped";
  plan.state = state;
  plan.events += 1;
  const tickets = data.tickets && typeof data.tickets === "object" ? data.tickets : {};
  const counts = Object.entries(tickets).map(([s, n]) => `${n} ${s}`).join(", ");
  const headline = { done: "Build done", paused: "Build paused", stopped: "Build stopped" };
  const hint = state === "stopped" ? " Retry a failed ticket, then Resume." : "";
  setStatus(`${headline[state] || `Build ${state}`}${counts ? `: ${counts}` : ""}.${hint}`,
            state === "done" ? "ok" : state === "stopped" ? "error" : "");
  renderBoard();
  loadPlan(plan.id);
  refreshUsage();
}

async function followRun(r, firstResponse) {
  const url = () => `/api/plans/${encodeURIComponent(r.planId)}/events`;
  try {
    await follow(r, firstResponse, url, (ev) => handleRunEvent(r, ev), "build");
  } finally {
    r.following = false;
    updateControls();
  }
}

// Build (action "build") or resume ("resume") the plan shown, and follow the run.
async function startRun(action) {
  if (!plan.id) return;
  const r = newRun(plan.id);
  setStatus(action === "resume" ? "Resuming the build…" : "Starting the build…", "busy");
  let response;
  try {
    response = await fetch(`/api/plans/${encodeURIComponent(r.planId)}/${action}`, {
      method: "POST", headers: { "Accept": "text/event-stream" }, signal: r.controller.signal,
    });
    if (!response.ok) throw await errorFrom(response);
  } catch (err) {
    r.finished = true;
    r.following = false;
    updateControls();
    if (r === run && err.name !== "AbortError") setStatus(errorText(err), "error");
    return;
  }
  if (r === run) {
    plan.state = "running";
    renderBoard();
  }
  await followRun(r, response);
}

// Sends a request to a plan endpoint answering with the plan; shows it (or, when run events
// came while it was on its way, a fresh snapshot) and returns it. Throws what went wrong.
async function planCall(method, url, body) {
  plan.pending = true;
  updateControls();
  const asked = plan.events;
  try {
    const response = await sendJson(method, url, body);
    if (!response.ok) throw await errorFrom(response);
    const data = await response.json();
    if (plan.events === asked) showPlan(data);
    else loadPlan(data.id);
    return data;
  } finally {
    plan.pending = false;
    updateControls();
  }
}

// planCall, with what went wrong on the status line; the plan, or null on error.
async function planRequest(url, doing, method = "POST") {
  try {
    return await planCall(method, url, method === "DELETE" ? undefined : {});
  } catch (err) {
    setStatus(`${doing}: ${errorText(err)}`, "error");
    return null;
  }
}

async function pausePlan() {
  const data = await planRequest(`/api/plans/${encodeURIComponent(plan.id)}/pause`,
                                 "Could not pause");
  // The run may have ended, paused, before this answer came: its last word stands.
  if (data && !run.finished) {
    setStatus("Pausing: running tickets finish, no new ones start.",
              run.following ? "busy" : "");
  }
}

async function retryTicket(key) {
  const data = await planRequest(
    `/api/plans/${encodeURIComponent(plan.id)}/tickets/${encodeURIComponent(key)}/retry`,
    `Could not retry ${key}`);
  if (data) {
    const next = plan.state === "running" ? "the build picks it up" : "Resume to build it";
    setStatus(`${key} is back in the backlog; ${next}.`, "");
  }
}

// --- changing the board: Edit and Add ticket share one form; Remove asks first ----------------

// The ticket the form changes (null: the form adds one), and the form's values as it opened,
// so Save sends only what was changed.
const ticketForm = { key: null, before: null };

// Not while a request on the board is out, nor while a plan is being made: its tickets still
// arrive, and would undo the change on the board.
function boardFrozen() {
  return plan.pending || (job.busy && job.kind === "plan");
}

function ticketValues() {
  const text = (field) => field.value.trim();
  return {
    title: text(ui.ticketTitle), description: text(ui.ticketDescription),
    acceptance: text(ui.ticketAcceptance), type: ui.ticketType.value,
    priority: ui.ticketPriority.value, complexity: ui.ticketComplexity.value,
    depends_on: [...ui.ticketNeeds.querySelectorAll("input:checked")].map((box) => box.value),
    files: ui.ticketFiles.value.split("\n").map((line) => line.trim()).filter(Boolean),
  };
}

// A value the list does not offer (from an older plan) is added for this ticket, so keeping
// it is no change.
function choose(select, value, fallback) {
  for (const option of select.querySelectorAll("option.extra")) option.remove();
  const wanted = str(value) || fallback;
  if (![...select.options].some((option) => option.value === wanted)) {
    select.append(make("option", "extra", wanted));
  }
  select.value = wanted;
}

// One box per other ticket, and per key it needs that the board does not have.
function needsBoxes(key, needs) {
  const keys = [...plan.tickets.keys()].filter((k) => k !== key);
  for (const k of needs) if (!keys.includes(k)) keys.push(k);
  if (!keys.length) return [make("span", "hint", "No other ticket.")];
  return keys.map((k) => {
    const label = make("label");
    const box = make("input");
    box.type = "checkbox";
    box.value = k;
    box.checked = needs.includes(k);
    const title = str(plan.tickets.get(k)?.title);
    label.append(box, make("span", "", title ? `${k} · ${title}` : k));
    return label;
  });
}

// Opens the form on ticket `key`, or empty for a new ticket (key null).
function openTicketForm(key) {
  const ticket = key === null ? {} : plan.tickets.get(key);
  if (!ticket) return;
  ticketForm.key = key;
  ui.ticketHeading.textContent = key === null ? "New ticket" : `Edit ${key}`;
  ui.ticketSave.textContent = key === null ? "Add" : "Save";
  ui.ticketTitle.value = str(ticket.title);
  ui.ticketDescription.value = str(ticket.description);
  ui.ticketAcceptance.value = str(ticket.acceptance);
  choose(ui.ticketType, ticket.type, "feature");
  choose(ui.ticketPriority, ticket.priority, "medium");
  choose(ui.ticketComplexity, ticket.complexity, "M");
  const needs = Array.isArray(ticket.depends_on) ? ticket.depends_on.map(str).filter(Boolean) : [];
  ui.ticketNeeds.replaceChildren(...needsBoxes(key, needs));
  const files = Array.isArray(ticket.files) ? ticket.files.map(str).filter(Boolean) : [];
  ui.ticketFiles.value = files.join("\n");
  ui.ticketError.textContent = "";
  ui.ticketSave.disabled = false;
  ticketForm.before = ticketValues();
  ui.ticketDialog.showModal();
  ui.ticketTitle.focus();
}

// Save: a new ticket is POSTed whole, a changed one PATCHed with the fields changed. The form
// stays open with the server's reason when it refuses.
async function saveTicket() {
  const key = ticketForm.key;
  const values = ticketValues();
  let url = `/api/plans/${encodeURIComponent(plan.id)}/tickets`;
  let body = values;
  if (key !== null) {
    url += `/${encodeURIComponent(key)}`;
    body = Object.fromEntries(Object.entries(values).filter(
      ([field, value]) => JSON.stringify(value) !== JSON.stringify(ticketForm.before[field])));
    if (!Object.keys(body).length) {
      ui.ticketDialog.close();
      return;
    }
  }
  ui.ticketSave.disabled = true;
  ui.ticketError.textContent = "";
  let data;
  try {
    data = await planCall(key === null ? "POST" : "PATCH", url, body);
  } catch (err) {
    ui.ticketError.textContent = errorText(err);
    return;
  } finally {
    ui.ticketSave.disabled = false;
  }
  ui.ticketDialog.close();
  if (key !== null) {
    setStatus(`${key} saved.`, "");
    return;
  }
  const added = Array.isArray(data.tickets) && data.tickets.length
    ? str(data.tickets[data.tickets.length - 1].key) : "";
  const next = plan.state === "running" ? "the build picks it up"
             : plan.state === "planned" ? "press Build to build it" : "Resume to build it";
  setStatus(`${added || "The ticket"} added to the backlog; ${next}.`, "");
}

async function removeTicket(key) {
  const title = str(plan.tickets.get(key)?.title);
  if (!confirm(`Remove ${key}${title ? ` (${title})` : ""} from the plan?`)) return;
  const data = await planRequest(
    `/api/plans/${encodeURIComponent(plan.id)}/tickets/${encodeURIComponent(key)}`,
    `Could not remove ${key}`, "DELETE");
  if (data) setStatus(`${key} removed from the plan.`, "");
}

// --- problems of the preview: from the jobs' checks and the project's live channel ------------

// Newest first. Each: { kind: "compile"|"runtime", file, line, column, message, detail }.
let problems = [];

// The project's live channel followed (it never ends: let go when another project opens).
let channel = { projectId: null, lastEventId: null, finished: true, controller: null };

// A preview_error's data, from a job ({kind, path, message, plugin?}) or from the project's
// channel ({kind, message, file?, line?, column?, stack?, frame?, url?}); null without a message.
function problemFrom(data) {
  const message = str(data.message).trim();
  if (!message) return null;
  const position = (n) => (Number.isInteger(n) && n > 0 ? n : null);
  const detail = [str(data.frame), str(data.stack), str(data.url) && `Page: ${data.url}`,
                  str(data.plugin) && `Plugin: ${data.plugin}`];
  return { kind: data.kind === "compile" ? "compile" : "runtime",
           file: str(data.path) || str(data.file), line: position(data.line),
           column: position(data.column), message, detail: detail.filter(Boolean).join("\n\n") };
}

// The dev server names the file of a compile error, the browser reporting it again does not.
function sameProblem(a, b) {
  return a.kind === b.kind && a.message === b.message &&
         (a.file === b.file || !a.file || !b.file);
}

function addProblem(data) {
  let problem = problemFrom(data);
  if (!problem) return;
  const old = problems.find((p) => sameProblem(p, problem));
  if (old) {
    // Reported again: it moves to the top, keeping what either report knew.
    problem = { ...problem, file: problem.file || old.file, line: problem.line || old.line,
                column: problem.column || old.column, detail: problem.detail || old.detail };
  }
  setProblems([problem, ...problems.filter((p) => p !== old)]);
}

function setProblems(list) {
  problems = list.slice(0, MAX_PROBLEMS);
  renderProblems();
  saveProblems();
}

// The list and how far the channel was read survive a reload, so a reload neither forgets
// the problems nor replays ones already fixed.
function saveProblems() {
  if (!channel.projectId) return;
  saveStore({ problems: { projectId: channel.projectId, lastEventId: channel.lastEventId,
                          items: problems } });
}

function placeOf(problem) {
  if (!problem.file) return "";
  return [problem.file, problem.line, problem.line && problem.column].filter(Boolean).join(":");
}

// The message's first line; one that only introduces the next ("Transform failed with 1 error:")
// takes that one along.
function firstLine(message) {
  const lines = message.split("\n").map((line) => line.trim()).filter(Boolean);
  return lines[0].endsWith(":") && lines.length > 1 ? `${lines[0]} ${lines[1]}` : lines[0];
}

function fixPrompt(problem) {
  let place = problem.file ? ` in ${problem.file}` : "";
  if (problem.line) {
    place += ` at line ${problem.line}${problem.column ? `, column ${problem.column}` : ""}`;
  }
  return `Fix this error the preview shows (${problem.kind} error${place}): ` +
         problem.message.slice(0, 1500);
}

function problemItem(problem) {
  const item = make("li", "problem");
  item.dataset.kind = problem.kind;
  const details = make("details");
  const summary = make("summary");
  summary.title = problem.message;
  summary.append(make("span", "kind", problem.kind));
  if (problem.file) summary.append(make("span", "where", placeOf(problem)));
  summary.append(make("span", "first", firstLine(problem.message)));
  const full = [problem.message, problem.detail].filter(Boolean).join("\n\n");
  details.append(summary, make("pre", "", full));
  const fix = make("button", "fix", "Fix with AI");
  fix.type = "button";
  fix.setAttribute("aria-label", `Fix with AI: ${problem.kind} error` +
                                 `${problem.file ? ` in ${problem.file}` : ""}`);
  fix.title = "Ask the model to fix this error";
  fix.disabled = job.busy || run.following;
  fix.addEventListener("click", () => {
    startJob("generate", "/api/generate-ai-code-stream", fixPrompt(problem),
             { remember: false });
  });
  item.append(details, fix);
  return item;
}

function renderProblems() {
  ui.problems.hidden = !problems.length;
  ui.problemCount.textContent = problems.length ? `· ${problems.length}` : "";
  ui.problemList.replaceChildren(...problems.map(problemItem));
}

// Follows the live channel of project `projectId` (none: stops following), picking up from
// where this browser last read it.
function watchProject(projectId) {
  if (channel.projectId === projectId && !channel.finished) return;
  if (!channel.finished) {
    channel.finished = true;
    channel.controller.abort();
  }
  const stored = loadStore().problems;
  const mine = projectId && stored && stored.projectId === projectId ? stored : null;
  channel = { projectId: projectId || null, lastEventId: (mine && str(mine.lastEventId)) || null,
              finished: !projectId, controller: new AbortController() };
  const items = mine && Array.isArray(mine.items) ? mine.items : [];
  setProblems(items.map((p) => p && problemFrom({ kind: p.kind, file: p.file, line: p.line,
                                                  column: p.column, message: p.message,
                                                  frame: p.detail }))
                   .filter(Boolean));
  if (!projectId) return;
  const c = channel;
  const url = () => `/api/projects/${encodeURIComponent(c.projectId)}/events`;
  follow(c, null, url, (ev) => projectEvent(c, ev), "project", { background: true })
    .catch(() => { /* the channel is a side note: the page works without it */ });
}

// Shows one event of the project's channel `c`; true once it is let go.
function projectEvent(c, ev) {
  if (c !== channel || c.finished) return true;
  if (seen(c, ev)) return false;
  if (ev.event === "preview_error") addProblem(eventData(ev));
  else saveProblems(); // read this far
  return false;
}

// --- wiring ----------------------------------------------------------------------------------

ui.form.addEventListener("submit", async (e) => {
  e.preventDefault();
  // Not before the page knows who is signed in and has picked up what it was doing.
  if (!(await started)) return;
  const prompt = ui.prompt.value.trim();
  if (!prompt) { setStatus("Describe the site first.", "error"); ui.prompt.focus(); return; }
  if (e.submitter === ui.plan) startJob("plan", "/api/plan-build", prompt);
  else startJob("generate", "/api/generate-ai-code-stream", prompt);
});
ui.prompt.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) ui.form.requestSubmit();
});
ui.newProject.addEventListener("click", () => {
  try { localStorage.removeItem(STORE_KEY); } catch { /* nothing stored */ }
  location.reload();
});
ui.build.addEventListener("click", () => startRun("build"));
ui.resume.addEventListener("click", () => startRun("resume"));
ui.pause.addEventListener("click", pausePlan);
ui.addTicket.addEventListener("click", () => openTicketForm(null));
ui.ticketForm.addEventListener("submit", (e) => {
  e.preventDefault();
  saveTicket();
});
ui.ticketCancel.addEventListener("click", () => ui.ticketDialog.close());
ui.clearProblems.addEventListener("click", () => setProblems([]));
ui.signOut.addEventListener("click", signOut);

// --- who is signed in -------------------------------------------------------------------------

// The signed-in user ({id, name, role, github_login, auth_mode}), or null when the gateway
// wants a sign-in (401). A gateway that cannot say (an older one: 404; down: 5xx or no answer)
// is taken as a local one: the API's own answers then say what is wrong.
async function whoAmI() {
  let response;
  try {
    response = await fetch("/api/auth/me", { headers: { "Accept": "application/json" },
                                             cache: "no-store" });
  } catch {
    return { auth_mode: "local" };
  }
  if (response.status === 401) return null;
  if (!response.ok) return { auth_mode: "local" };
  try { return await response.json(); } catch { return { auth_mode: "local" }; }
}

function showSignIn() {
  ui.workspace.hidden = true;
  ui.newProject.hidden = true;
  ui.signIn.hidden = false;
}

// With accounts, who is signed in; a local gateway has one user and shows nothing.
function showAccount(me) {
  if (me.auth_mode !== "required") return;
  ui.accountName.textContent = str(me.name) || str(me.github_login);
  ui.accountName.title = str(me.github_login) ? `GitHub: ${me.github_login}` : "";
  ui.account.hidden = false;
}

// What this browser remembers (the project, its preview link) is one user's: another user
// signing in on it starts afresh.
function adoptStore(me) {
  const owner = str(me.id);
  if (!owner) return;
  const stored = loadStore().user;
  if (stored && stored !== owner) {
    try { localStorage.removeItem(STORE_KEY); } catch { /* nothing stored */ }
  }
  saveStore({ user: owner });
}

async function signOut() {
  ui.signOut.disabled = true;
  try {
    await fetch("/api/auth/logout", { method: "POST", headers: { "Accept": "application/json" } });
  } catch { /* the reload shows whether the session ended */ }
  // The next person on this browser must not get this one's project or preview link.
  try { localStorage.removeItem(STORE_KEY); } catch { /* nothing stored */ }
  location.reload();
}

// A reload keeps the project, its preview and its plan's board, and picks up a job or a build
// that was still running (replayed from its first event, since the page starts empty).
function restore() {
  const store = loadStore();
  showProject(store.project);
  if (store.prompt && !ui.prompt.value) ui.prompt.value = store.prompt;
  if (store.previewUrl) showPreview(store.previewUrl);
  let planning = false;
  if (store.job && store.job.id && !store.job.finished) {
    const kind = store.job.kind === "plan" ? "plan" : "generate";
    planning = kind === "plan";
    Object.assign(job, { id: store.job.id, lastEventId: null, finished: false, kind,
                         busy: true });
    updateControls();
    setStatus("Reconnecting to the running job…", "busy");
    followJob(null).finally(() => {
      job.busy = false;
      updateControls();
      refreshUsage();
    });
  }
  if (store.project && store.project.id) {
    refreshUsage();
    // A plan still being made shows its own board as its events replay.
    if (!planning) loadLatestPlan(store.project.id);
  }
}

// True once the workspace is ready, false when a sign-in is needed first.
const started = (async function start() {
  const me = await whoAmI();
  if (me === null) {
    showSignIn();
    return false;
  }
  adoptStore(me);
  showAccount(me);
  restore();
  return true;
})();
