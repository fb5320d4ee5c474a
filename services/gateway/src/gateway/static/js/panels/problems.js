// Problems of the preview, from the jobs' checks and the project's live channel, each with a
// "Fix with AI" that asks the model to fix it.

import { $, make, str } from "../core/dom.js";
import { api } from "../core/http.js";
import { eventData, follow, seen } from "../core/sse.js";
import * as store from "../core/store.js";
import { state } from "./state.js";

const MAX_PROBLEMS = 10;

// Newest first. Each: { kind: "compile"|"runtime", file, line, column, message, detail }.
let problems = [];

// The project's live channel followed (it never ends: let go when another project opens).
let channel = { projectId: null, lastEventId: null, finished: true, controller: null };

// Who hears the channel's other events (the Ship tab: git_sync, published, deploy).
let listener = () => {};
export function setChannelListener(fn) { listener = fn; }

// What "Fix with AI" does with its prompt (the jobs module sets it).
let fixer = () => {};
export function setFixer(fn) { fixer = fn; }

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

export function addProblem(data) {
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

export function setProblems(list) {
  problems = list.slice(0, MAX_PROBLEMS);
  renderProblems();
  saveProblems();
}

// The list and how far the channel was read survive a reload, so a reload neither forgets
// the problems nor replays ones already fixed.
function saveProblems() {
  if (!channel.projectId) return;
  store.put("problems", channel.projectId, { lastEventId: channel.lastEventId,
                                             items: problems });
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
  fix.disabled = state.job.busy || state.run.following;
  fix.addEventListener("click", () => fixer(fixPrompt(problem)));
  item.append(details, fix);
  return item;
}

function renderProblems() {
  $("problems").hidden = !problems.length;
  $("problem-count").textContent = problems.length ? `· ${problems.length}` : "";
  $("problem-list").replaceChildren(...problems.map(problemItem));
}

// Shows one event of the project's channel `c`; true once it is let go.
function projectEvent(c, ev) {
  if (c !== channel || c.finished) return true;
  if (seen(c, ev)) return false;
  if (ev.event === "preview_error") {
    addProblem(eventData(ev));
    return false;
  }
  saveProblems(); // read this far
  listener(ev.event, eventData(ev));
  return false;
}

// Follows the live channel of project `projectId` (none: stops following), picking up from
// where this browser last read it.
export function watchProject(projectId) {
  if (channel.projectId === projectId && !channel.finished) return;
  if (!channel.finished) {
    channel.finished = true;
    channel.controller.abort();
  }
  const mine = projectId ? store.get("problems", projectId) : null;
  channel = { projectId: projectId || null,
              lastEventId: (mine && str(mine.lastEventId)) || null,
              finished: !projectId, controller: new AbortController() };
  const items = mine && Array.isArray(mine.items) ? mine.items : [];
  setProblems(items.map((p) => p && problemFrom({ kind: p.kind, file: p.file, line: p.line,
                                                  column: p.column, message: p.message,
                                                  frame: p.detail }))
                   .filter(Boolean));
  if (!projectId) return;
  const c = channel;
  const url = () => api.channel(c.projectId);
  follow(c, null, url, (ev) => projectEvent(c, ev), "project", { background: true })
    .catch(() => { /* the channel is a side note: the page works without it */ });
}

export function wireProblems() {
  $("clear-problems").addEventListener("click", () => setProblems([]));
}
