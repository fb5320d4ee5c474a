// The chat column: the project's turns (what was asked, how it ended, what it made), the
// composer with its draft kept across reloads, and the model picker.

import { $, button, make, plural, str, timeAgo } from "../core/dom.js";
import { api, getJson } from "../core/http.js";
import * as store from "../core/store.js";
import { hostOf, palette, screenshot } from "./scraped.js";
import { projectJson, state } from "./state.js";

const OUTCOME = { complete: "Done", error: "Failed", cancelled: "Stopped", running: "Working…",
                  queued: "Queued" };
const LIMIT = 30;
// The jobs a person started from this page; sandbox chores and ticket jobs (on the board)
// are not turns.
const HISTORY = "generate,plan,apply,restore,clone";

// What a turn's "Changes" button does with its version (the project page sets it).
let openVersion = () => {};
export function setVersionOpener(fn) { openVersion = fn; }

// The prompt of each job, for the versions list.
const prompts = new Map();
export const promptOf = (jobId) => prompts.get(jobId) || "";

// What each clone followed here read of its site (its "scrape" event), by job id: its turn
// keeps showing it once the job ended and the history took the turn over.
const scrapes = new Map();

// What was asked; a clone's wishes for the copy go below the site it copies.
function you(kind, prompt, wishes = "") {
  const box = make("div", "you");
  if (kind === "plan") box.append(make("span", "tag", "Plan"));
  box.append(make("p", "", prompt || "(no prompt)"));
  if (wishes) box.append(make("p", "wishes", wishes));
  return box;
}

// What a clone read: "Read <title> (n pages)", the palette, and the screenshot as a thumbnail
// that opens the full image (or why there is none).
function scraped(data) {
  const title = str(data.title) || hostOf(str(data.final_url) || str(data.url));
  const pages = Number(data.pages) || 1;
  const box = make("div", "scrape");
  box.append(make("p", "read", `Read ${title} (${plural(pages, "page")})`));
  const colours = palette(data.palette, `Colours of ${title}`);
  if (colours.childElementCount) box.append(colours);
  const image = screenshot(data.screenshot_url, title, "thumb");
  if (image) {
    const link = make("a", "shot");
    link.href = image.getAttribute("src");
    link.target = "_blank";
    link.rel = "noopener";
    link.title = "Open the whole screenshot";
    link.append(image);
    box.append(link);
  } else if (str(data.screenshot_note)) {
    box.append(make("p", "shot-note", data.screenshot_note));
  }
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

// A turn's bubble: a restore names its version, a clone its site (the job's prompt is the
// wishes for the copy, or "Clone <url>" without any), anything else its prompt.
function question(turn) {
  const result = turn.result && typeof turn.result === "object" ? turn.result : {};
  const prompt = str(turn.prompt);
  if (turn.kind === "restore" && result.restored_from) {
    return { prompt: `Restore version ${result.restored_from}`, wishes: "" };
  }
  const url = str(result.cloned_url);
  if (turn.kind === "clone" && url) {
    return { prompt: `Clone of ${url}`, wishes: prompt === `Clone ${url}` ? "" : prompt };
  }
  return { prompt, wishes: str(turn.wishes) };
}

function turnItem(turn) {
  const item = make("li", "turn");
  item.dataset.id = str(turn.id);
  item.dataset.status = str(turn.status);
  const { prompt, wishes } = question(turn);
  const answer = reply(turn);
  const read = scrapes.get(str(turn.id));
  if (read) answer.querySelector(".reply-head").after(scraped(read));
  item.append(you(turn.kind, prompt, wishes), answer);
  return item;
}

let asked = 0;
// The project's turns, oldest first (the newest at the bottom, above the composer).
export async function loadTurns() {
  const mine = ++asked;
  // The history is a side note: without an answer the page works on.
  const turns = await projectJson((id) => api.turns(id, `?limit=${LIMIT}&kinds=${HISTORY}`));
  if (mine !== asked || !Array.isArray(turns)) return;
  for (const turn of turns) prompts.set(turn.id, question(turn).prompt);
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

// A turn starting now: the prompt (and a clone's wishes), and a reply that the job's events
// fill.
export function beginTurn(kind, prompt, wishes = "") {
  for (const old of $("turns").querySelectorAll("li.live")) old.remove();
  const item = turnItem({ id: "", kind, status: "queued", prompt, wishes });
  item.classList.add("live");
  $("turns").append(item);
  $("turns-empty").hidden = true;
  scrollDown();
}

// The live turn: the one begun here, else the history's turn of the job picked up after a
// reload, else one made without its prompt, which the history fills in when the job ends.
function liveItem(id) {
  let item = $("turns").querySelector("li.live");
  if (!item && id) {
    item = [...$("turns").children].find((li) => li.dataset.id === id) || null;
    if (item) item.classList.add("live");
  }
  if (!item) {
    beginTurn(state.job.kind, "");
    item = $("turns").querySelector("li.live");
  }
  return item;
}

// The live turn's id, status or note changed.
export function liveTurn({ id, status, note }) {
  const item = liveItem(id);
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

// A clone read its site: the live turn shows what it read.
export function liveScrape(data) {
  const item = liveItem(null);
  if (item.dataset.id) scrapes.set(item.dataset.id, data);
  item.querySelector(".scrape")?.remove();
  item.querySelector(".reply-head").after(scraped(data));
  // A turn picked up without its prompt shows at least the site it copies.
  const prompt = item.querySelector(".you p");
  if (prompt.textContent === "(no prompt)" && str(data.url)) {
    prompt.textContent = `Clone of ${data.url}`;
  }
  scrollDown();
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
