// The plan's kanban board and its build runs: tickets move through the columns as the run's
// events come; Build, Pause, Resume and Retry; a done ticket's version shows in the preview.

import { $, make, plural, str } from "../core/dom.js";
import { api, call, errorFrom, getJson, send } from "../core/http.js";
import { eventData, follow, seen } from "../core/sse.js";
import { errorText, setStatus } from "../core/status.js";
import { showPreview } from "./preview.js";
import { projectJson, state, updateControls } from "./state.js";
import { openTicketForm, removeTicket } from "./ticket-form.js";
import { refreshUsage } from "./usage.js";

const COLUMN_OF = {
  backlog: "backlog",
  queued: "progress", generating: "progress", applying: "progress", checking: "progress",
  done: "done",
  failed: "failed", blocked: "failed",
};

// Only a ticket not being built and not built yet can change, as the API allows.
const EDITABLE = new Set(["backlog", "failed", "blocked"]);

// Called when the board moved the project on (a ticket done, a run ended): the chat's history
// and the versions refresh (the project page sets it).
let onProgress = () => {};
export function setProgressListener(fn) { onProgress = fn; }

export function showPlan(data) {
  const plan = state.plan;
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

export function putTicket(ticket) {
  const plan = state.plan;
  if (!plan.id || !ticket || !ticket.key) return;
  plan.tickets.set(ticket.key, ticket);
  plan.events += 1;
  renderBoard();
  const version = Number(ticket.version) || 0;
  if (ticket.state === "done" && version > plan.shownVersion) {
    plan.shownVersion = version;
    showTicketPreview(ticket);
    onProgress();
  }
  // Its job is over: the model calls it made are in the ledger now.
  if (ticket.state === "done" || ticket.state === "failed") refreshUsage();
}

// A done ticket's job applied a new version of the project: show it as after a generation.
async function showTicketPreview(ticket) {
  if (!ticket.job_id) return;
  try {
    const done = await getJson(api.job(ticket.job_id));
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
    const b = make("button", className, text);
    b.type = "button";
    b.setAttribute("aria-label", `${text} ${str(ticket.key)}`);
    b.addEventListener("click", onClick);
    actions.append(b);
    return b;
  };
  if (column === "failed") action("retry", "Retry", () => retryTicket(ticket.key));
  // A ticket being built, or built, keeps what it was built from.
  if (EDITABLE.has(ticket.state)) {
    action("edit", "Edit", () => openTicketForm(ticket.key));
    action("remove", "Remove", () => removeTicket(ticket.key));
  }
  if (actions.childElementCount) card.append(actions);
  return card;
}

export function renderBoard() {
  const plan = state.plan;
  $("board").hidden = !plan.id;
  $("board-empty").hidden = Boolean(plan.id);
  const blueprint = plan.blueprint;
  $("plan-title").textContent = str(blueprint.title) || "Untitled plan";
  $("plan-summary").textContent = str(blueprint.summary);
  const routes = Array.isArray(blueprint.routes) ? blueprint.routes.map(str).filter(Boolean) : [];
  const meta = [];
  if (routes.length) meta.push(`${routes.length === 1 ? "Page" : "Pages"}: ${routes.join(", ")}`);
  if (str(blueprint.data_mode)) meta.push(`data: ${blueprint.data_mode}`);
  $("plan-meta").textContent = meta.join(" · ");
  $("plan-state").textContent = plan.state;
  const cards = { backlog: [], progress: [], done: [], failed: [] };
  for (const ticket of plan.tickets.values()) {
    cards[COLUMN_OF[ticket.state] || "backlog"].push(ticketCard(ticket));
  }
  for (const [column, list] of Object.entries(cards)) {
    $(`col-${column}`).replaceChildren(...list);
    $(`count-${column}`).textContent = list.length ? `· ${list.length}` : "";
  }
  updateControls();
}

// A snapshot of the board asked for before the run's last event may be older than the board:
// it is shown only when no event came while it was on its way, else asked for again.
export async function loadPlan(planId) {
  const plan = state.plan;
  for (let attempt = 0; attempt < 3; attempt++) {
    const asked = plan.events;
    let data;
    try {
      data = await getJson(api.plan(planId));
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
export async function loadLatestPlan() {
  const plans = await projectJson(api.plans);
  if (!Array.isArray(plans) || !plans.length) return; // no plan to show

  showPlan(plans[0]);
  if (state.plan.state === "running") followRun(newRun(state.plan.id), null);
}

// Lets go of the run followed (the page left the project).
export function dropRun() {
  const run = state.run;
  if (!run.finished) {
    run.finished = true;
    run.controller.abort();
  }
  run.following = false;
}

// A new build run of plan `planId`; a run still followed is let go (its plan moved on).
function newRun(planId) {
  dropRun();
  state.run = { planId, lastEventId: null, finished: false, following: true,
                controller: new AbortController() };
  updateControls();
  return state.run;
}

// Shows one event of build run `r`; true once the run is over.
function handleRunEvent(r, ev) {
  if (r !== state.run) return true;
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
    case "cancelled":
      r.finished = true;
      setStatus("The build was stopped.", "warn");
      loadPlan(state.plan.id);
      break;
    default:
      break;
  }
  return r.finished;
}

function runEnded(data) {
  const plan = state.plan;
  const ended = str(data.state) || "stopped";
  plan.state = ended;
  plan.events += 1;
  const tickets = data.tickets && typeof data.tickets === "object" ? data.tickets : {};
  const counts = Object.entries(tickets).map(([s, n]) => `${n} ${s}`).join(", ");
  const headline = { done: "Build done", paused: "Build paused", stopped: "Build stopped" };
  const hint = ended === "stopped" ? " Retry a failed ticket, then Resume." : "";
  setStatus(`${headline[ended] || `Build ${ended}`}${counts ? `: ${counts}` : ""}.${hint}`,
            ended === "done" ? "ok" : ended === "stopped" ? "error" : "");
  renderBoard();
  loadPlan(plan.id);
  refreshUsage();
  onProgress();
}

async function followRun(r, firstResponse) {
  const url = () => api.planEvents(r.planId);
  try {
    await follow(r, firstResponse, url, (ev) => handleRunEvent(r, ev), "build",
                 { say: setStatus });
  } finally {
    r.following = false;
    updateControls();
  }
}

// Build (action "build") or resume ("resume") the plan shown, and follow the run.
async function startRun(action) {
  if (!state.plan.id) return;
  const r = newRun(state.plan.id);
  setStatus(action === "resume" ? "Resuming the build…" : "Starting the build…", "busy");
  let response;
  try {
    response = await send("POST", api.planAction(r.planId, action), undefined,
                          { accept: "text/event-stream", signal: r.controller.signal });
    if (!response.ok) throw await errorFrom(response);
  } catch (err) {
    r.finished = true;
    r.following = false;
    updateControls();
    if (r === state.run && err.name !== "AbortError") setStatus(err, "error");
    return;
  }
  if (r === state.run) {
    state.plan.state = "running";
    renderBoard();
  }
  await followRun(r, response);
}

// Stop the build run followed: running tickets are cancelled, the plan stops.
export async function stopRun() {
  if (!state.plan.id) return;
  // Said before asking: the run's end may come before the answer does.
  setStatus("Stopping the build…", "busy");
  try {
    await call("POST", api.planAction(state.plan.id, "cancel"), {});
  } catch (err) {
    setStatus(err, "error");
  }
}

// Sends a request to a plan endpoint answering with the plan; shows it (or, when run events
// came while it was on its way, a fresh snapshot) and returns it. Throws what went wrong.
export async function planCall(method, url, body) {
  const plan = state.plan;
  plan.pending = true;
  updateControls();
  const asked = plan.events;
  try {
    const data = await call(method, url, body);
    if (plan.events === asked) showPlan(data);
    else loadPlan(data.id);
    return data;
  } finally {
    plan.pending = false;
    updateControls();
  }
}

// planCall, with what went wrong on the status line; the plan, or null on error.
export async function planRequest(url, doing, method = "POST") {
  try {
    return await planCall(method, url, method === "DELETE" ? undefined : {});
  } catch (err) {
    setStatus(`${doing}: ${errorText(err)}`, "error");
    return null;
  }
}

async function pausePlan() {
  const data = await planRequest(api.planAction(state.plan.id, "pause"), "Could not pause");
  // The run may have ended, paused, before this answer came: its last word stands.
  if (data && !state.run.finished) {
    setStatus("Pausing: running tickets finish, no new ones start.",
              state.run.following ? "busy" : "");
  }
}

async function retryTicket(key) {
  const data = await planRequest(api.retryTicket(state.plan.id, key), `Could not retry ${key}`);
  if (data) {
    const next = state.plan.state === "running" ? "the build picks it up" : "Resume to build it";
    setStatus(`${key} is back in the backlog; ${next}.`, "");
  }
}

// A plan job finished: its board is saved.
export function planned(data) {
  const count = typeof data.tickets === "number" ? data.tickets : state.plan.tickets.size;
  setStatus(`Planned ${plural(count, "ticket")}. Press Build to build them.`, "ok");
  if (data.plan_id) loadPlan(data.plan_id);
}

export function wireBoard() {
  $("build-plan").addEventListener("click", () => startRun("build"));
  $("resume-plan").addEventListener("click", () => startRun("resume"));
  $("pause-plan").addEventListener("click", pausePlan);
  $("add-ticket").addEventListener("click", () => openTicketForm(null));
}
