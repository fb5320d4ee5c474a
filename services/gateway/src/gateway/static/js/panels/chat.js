// The chat column: the project's turns (what was asked, how it ended, what it made), the
// composer with its draft kept across reloads, and the model picker.

import { $, button, make, plural, str, timeAgo } from "../core/dom.js";
import { api, getJson } from "../core/http.js";
import * as store from "../core/store.js";
import { projectJson, state } from "./state.js";

const OUTCOME = { complete: "Done", error: "Failed", cancelled: "Stopped", running: "Working…",
                  queued: "Queued" };
const LIMIT = 30;
// The jobs a person started from this page; sandbox chores and ticket jobs (on the board)
// are not turns.
const HISTORY = "generate,plan,apply,restore";

// What a turn's "Changes" button does with its version (the project page sets it).
let openVersion = () => {};
export function setVersionOpener(fn) { openVersion = fn; }

// The prompt of each job, for the versions list.
const prompts = new Map();
export const promptOf = (jobId) => prompts.get(jobId) || "";

function you(kind, prompt) {
  const box = make("div", "you");
  if (kind === "plan") box.append(make("span", "tag", "Plan"));
  box.append(make("p", "", prompt || "(no prompt)"));
  return box;
}

function reply(turn) {
  const box = make("div", "reply");
  const status = str(turn.status);
  const head = make("div", "reply-head");
  const badge = make("span", "outcome", OUTCOME[status] || status || "…");
  badge.dataset.status = status;
  head.append(badge);
  const result = turn.result && typeof turn.result === "object" ? turn.result : {};
  const version = Number(result.version) || 0;
  const facts = [];
  if (version) facts.push(`v${version}`);
  if (Array.isArray(result.files)) facts.push(plural(result.files.length, "file"));
  if (str(turn.model)) facts.push(turn.model);
  if (turn.created_at) facts.push(timeAgo(turn.created_at));
  if (facts.length) head.append(make("span", "meta", facts.join(" · ")));
  if (version) {
    head.append(button("link-button", "Changes", () => openVersion(version),
                       `Changes of version ${version}`));
  }
  box.append(head);
  if (str(turn.explanation)) box.append(make("p", "explanation", turn.explanation));
  if (status === "error" && str(turn.error)) box.append(make("p", "error", turn.error));
  if (status === "cancelled" && !str(turn.explanation)) {
    box.append(make("p", "note", "Stopped before anything was applied."));
  }
  const note = make("p", "note");
  note.hidden = true;
  box.append(note);
  return box;
}

function turnItem(turn) {
  const item = make("li", "turn");
  item.dataset.id = str(turn.id);
  item.dataset.status = str(turn.status);
  const prompt = turn.kind === "restore" && turn.result && turn.result.restored_from
    ? `Restore version ${turn.result.restored_from}` : str(turn.prompt);
  item.append(you(turn.kind, prompt), reply(turn));
  return item;
}

let asked = 0;
// The project's turns, oldest first (the newest at the bottom, above the composer).
export async function loadTurns() {
  const mine = ++asked;
  // The history is a side note: without an answer the page works on.
  const turns = await projectJson((id) => api.turns(id, `?limit=${LIMIT}&kinds=${HISTORY}`));
  if (mine !== asked || !Array.isArray(turns)) return;
  for (const turn of turns) prompts.set(turn.id, str(turn.prompt));
  // A job being followed keeps its live turn: the history shows it once it ended. A request
  // refused before it became a job is in no history: its turn stays until the next one.
  const current = $("turns").querySelector("li.live");
  const live = current && (state.job.busy || !current.dataset.id) ? current : null;
  const shown = turns.filter((t) => !(live && t.id === live.dataset.id)).reverse();
  $("turns").replaceChildren(...shown.map(turnItem), ...(live ? [live] : []));
  $("turns-empty").hidden = $("turns").childElementCount > 0;
  scrollDown();
}

function scrollDown() {
  const list = $("turns");
  list.scrollTop = list.scrollHeight;
}

// A turn starting now: the prompt, and a reply that the job's events fill.
export function beginTurn(kind, prompt) {
  for (const old of $("turns").querySelectorAll("li.live")) old.remove();
  const item = turnItem({ id: "", kind, status: "queued", prompt });
  item.classList.add("live");
  $("turns").append(item);
  $("turns-empty").hidden = true;
  scrollDown();
}

// The live turn's id, status or note changed. A turn picked up after a reload has no item
// yet: one is made without its prompt, which the history fills in when the job ends.
export function liveTurn({ id, status, note }) {
  let item = $("turns").querySelector("li.live");
  if (!item) {
    beginTurn(state.job.kind, "");
    item = $("turns").querySelector("li.live");
  }
  if (id) item.dataset.id = id;
  if (status) {
    item.dataset.status = status;
    const badge = item.querySelector(".outcome");
    badge.textContent = OUTCOME[status] || status;
    badge.dataset.status = status;
  }
  if (note !== undefined) {
    const line = item.querySelector(".note");
    line.textContent = note;
    line.hidden = !note;
  }
}

// --- composer ----------------------------------------------------------------------------------

let draftTimer = null;

export function clearDraft() {
  clearTimeout(draftTimer);
  $("prompt").value = "";
  if (state.projectId) store.put("drafts", state.projectId, undefined);
}

export function restoreDraft() {
  const draft = store.get("drafts", state.projectId);
  $("prompt").value = typeof draft === "string" ? draft : "";
}

// --- models ------------------------------------------------------------------------------------

export function chosenModel() {
  return $("model").value || "";
}

let models = null;
export async function loadModels() {
  const select = $("model");
  if (models === null) {
    try {
      const answer = await getJson(api.models);
      models = Array.isArray(answer.models) ? answer.models : [];
    } catch {
      models = []; // no generator answered: the default is all there is
    }
  }
  const options = [make("option", "", "Default")];
  options[0].value = "";
  for (const model of models) {
    const id = str(model.id);
    if (!id) continue;
    const roles = Array.isArray(model.roles) ? model.roles.map(str) : [];
    const label = `${id}${model.ai === false ? " — offline, not AI" : ""}` +
                  `${roles.includes("default") ? " (default)" : ""}`;
    const option = make("option", "", label);
    option.value = id;
    options.push(option);
  }
  select.replaceChildren(...options);
  const saved = store.get("models", state.projectId);
  select.value = models.some((m) => m.id === saved) ? saved : "";
}

export function wireChat(send) {
  const prompt = $("prompt");
  prompt.addEventListener("keydown", (e) => {
    // Enter sends; Shift+Enter is a new line; an IME composing text keeps its Enter.
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      send("generate");
    }
  });
  prompt.addEventListener("input", () => {
    clearTimeout(draftTimer);
    const projectId = state.projectId;
    draftTimer = setTimeout(() => {
      if (projectId) store.put("drafts", projectId, prompt.value || undefined);
    }, 300);
  });
  $("model").addEventListener("change", () => {
    if (state.projectId) store.put("models", state.projectId, chosenModel() || undefined);
  });
}
