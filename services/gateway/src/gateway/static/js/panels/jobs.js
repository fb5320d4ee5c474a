// One job at a time per project (a generation, a plan, a restore, a clone): start it, follow
// its events into every panel, stop it, and pick it up again after a reload, a closed tab or a
// dropped network, from the job's first event.

import { $, plural, str } from "../core/dom.js";
import { HttpError, api, call, errorFrom, send } from "../core/http.js";
import { eventData, follow, seen } from "../core/sse.js";
import { setStatus } from "../core/status.js";
import * as store from "../core/store.js";
import { planned, putTicket, showPlan } from "./board.js";
import * as chat from "./chat.js";
import * as code from "./code.js";
import { addFile, addPackage, appendOutput, clearOutput, fileCount, resetOutput,
         setFiles } from "./output.js";
import { showPreview } from "./preview.js";
import { addProblem, setProblems } from "./problems.js";
import { projectJson, state, updateControls } from "./state.js";
import { showTab } from "./tabs.js";
import { refreshUsage } from "./usage.js";

const STEPS = ["queued", "model", "writing", "applying", "preview"];
// The kinds of job this page starts and follows.
const FOLLOWED = "generate,plan,restore,clone";
const WHAT = { generate: "Generation", plan: "Planning", restore: "Restoring",
               clone: "Cloning" };

// Called once a job ended, whatever its end (the project page refreshes what it changed).
let onEnded = () => {};
export function setEndListener(fn) { onEnded = fn; }

// Marks the job's progress at `step` (earlier steps done); null hides the steps.
function progress(step) {
  const list = $("progress");
  list.hidden = step === null;
  const at = STEPS.indexOf(step);
  for (const item of list.children) {
    const i = STEPS.indexOf(item.dataset.step);
    item.dataset.state = i < at ? "done" : i === at ? "active" : "";
    if (i === at) item.setAttribute("aria-current", "step");
    else item.removeAttribute("aria-current");
  }
}

function atLeast(step) {
  const current = [...$("progress").children].findIndex((li) => li.dataset.state === "active");
  if (STEPS.indexOf(step) > current) progress(step);
}

function autofixNote(autofix) {
  if (!autofix || typeof autofix !== "object") return "";
  if (autofix.stopped) return `auto-fix stopped: ${str(autofix.stopped) || "unknown reason"}`;
  const rounds = Number(autofix.rounds) || 0;
  return autofix.fixed && rounds ? `fixed after ${plural(rounds, "round")}` : "";
}

function remember(finished) {
  const job = state.job;
  if (!state.projectId || !job.id) return;
  store.put("jobs", state.projectId, finished ? undefined : { id: job.id, kind: job.kind });
}

// Shows one event; true once the job is over.
function handleEvent(ev) {
  const job = state.job;
  if (seen(job, ev)) return false;
  const data = eventData(ev);
  switch (ev.event) {
    case "job":
      job.id = data.job_id;
      remember(false);
      chat.liveTurn({ id: job.id, status: "running" });
      atLeast("queued");
      updateControls();
      break;
    case "status":
      // A worker restarted the job, or another model or a fix round took over: what was
      // streamed so far is void.
      if (data.reset) {
        clearOutput();
        code.resetLive();
        // The attempt writing now: a worker cut off by a bus restart may still send a few
        // pieces of the one it replaced. (A fix round starts its own count again.)
        job.attempt = data.attempt || 1;
      }
      atLeast(data.model || data.ai !== undefined ? "model" : "queued");
      // Auto-fix rounds ("autofix": n) and their stop come as status lines too.
      setStatus(data.message || "Working…", "busy");
      chat.liveTurn({ note: data.message || "Working…" });
      break;
    case "scrape":
      // A clone read its site; the model writes the copy next.
      chat.liveScrape(data);
      setStatus(`Read ${str(data.title) || str(data.url) || "the site"}; writing the copy…`,
                "busy");
      break;
    case "stream":
      // Pieces of an attempt another replaced are void, whenever they arrive (a piece that
      // names no attempt is taken as the current one's).
      if (data.text && (job.attempt === undefined || data.attempt === undefined
                        || data.attempt === job.attempt)) {
        appendOutput(data.text);
        code.liveDelta(data.text);
        atLeast("writing");
      }
      break;
    case "file":
      addFile(data.path);
      code.fileWritten(data.path);
      atLeast("applying");
      break;
    case "package":
      addPackage(data.name);
      atLeast("applying");
      setStatus(`Installing ${data.name}…`, "busy");
      break;
    case "preview_error":
      addProblem(data);
      break;
    case "preview":
      showPreview(data.preview_url);
      atLeast("preview");
      break;
    case "blueprint":
      showPlan({ id: data.plan_id, state: "planned", blueprint: data.blueprint, tickets: [] });
      showTab("board");
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
      setStatus(`${WHAT[job.kind] || "The job"} failed: ${data.message || "unknown error"}`,
                "error");
      break;
    case "cancelled":
      job.finished = true;
      setStatus(`Stopped: ${(WHAT[job.kind] || "the job").toLowerCase()} was cancelled; ` +
                "nothing was applied.", "warn");
      break;
    default:
      break; // events from a newer gateway are ignored
  }
  if (job.finished) remember(true);
  return job.finished;
}

function generated(data) {
  if (Array.isArray(data.files)) setFiles(data.files);
  showPreview(data.preview_url);
  // The job's own check found nothing wrong: what the list showed is taken as fixed. What is
  // still broken elsewhere, the dev server or the reloaded preview reports again.
  if (data.preview_errors === 0) setProblems([]);
  const files = Array.isArray(data.files) ? data.files.length : fileCount();
  const version = data.version ? ` · version ${data.version}` : "";
  const errors = Number(data.preview_errors) || 0;
  const notes = [autofixNote(data.autofix),
                 errors ? `${plural(errors, "problem")} in the preview` : ""].filter(Boolean);
  const restored = data.restored_from ? `Restored version ${data.restored_from}: ` : "Done: ";
  setStatus(`${restored}${files} file${files === 1 ? "" : "s"}${version}` +
            `${notes.map((n) => " · " + n).join("")}.`,
            errors || (data.autofix && data.autofix.stopped) ? "warn" : "ok");
}

async function followJob(firstResponse) {
  const job = state.job;
  // A job's stream names its job in X-Job-Id too: one that drops before its first event (the
  // `job` event, which names it as well) can still be resumed.
  const named = firstResponse && firstResponse.headers.get("X-Job-Id");
  if (named && !job.id) job.id = named;
  const url = () => (job.id ? api.jobEvents(job.id) : null);
  await follow(job, firstResponse, url, handleEvent, "job", { say: setStatus });
}

function begin(kind, id = null) {
  if (state.job.controller) state.job.controller.abort();
  state.job = { id, lastEventId: null, finished: false, kind, busy: true,
                controller: new AbortController() };
  resetOutput();
  $("details").open = true;
  code.resetLive();
  progress("queued");
  updateControls();
}

function end(job) {
  job.busy = false;
  // Let go because the page left the project: what it shows is another project's now.
  if (job !== state.job || job.controller.signal.aborted) return;
  if (!job.finished) remember(false);
  progress(null);
  updateControls();
  refreshUsage();
  onEnded(job);
}

// Starts a job and follows it. `kind`: "generate" | "plan" | "restore" | "clone"; `prompt`
// (none for a restore; a clone's optional wishes for the copy) is shown as the turn; the model
// picked goes with a generation, a plan or a clone. A clone copies `pages` of the site at
// `url`. A prompt `typed` in the composer leaves it once the job is accepted (it is in the turn
// now); one refused stays there to try again.
export async function startJob(kind, { prompt = "", version = null, typed = false, url = "",
                                       pages = 1 } = {}) {
  if (state.job.busy || !state.projectId) return;
  const projectId = state.projectId;
  begin(kind);
  const job = state.job;
  if (kind === "restore") chat.beginTurn(kind, `Restore version ${version}`);
  else if (kind === "clone") chat.beginTurn(kind, `Clone of ${url}`, prompt);
  else chat.beginTurn(kind, prompt);
  setStatus("Starting…", "busy");
  try {
    let response;
    if (kind === "restore") {
      response = await send("POST", api.restore(projectId, version), undefined,
                            { accept: "text/event-stream", signal: job.controller.signal });
    } else {
      const body = kind === "clone" ? { url, project_id: projectId, pages, prompt }
        : { project_id: projectId, prompt };
      const model = chat.chosenModel();
      if (model) body.model = model;
      const endpoint = { plan: api.planBuild, clone: api.clone }[kind] || api.generate;
      response = await send("POST", endpoint, body,
                            { accept: "text/event-stream", signal: job.controller.signal });
    }
    if (!response.ok) throw await errorFrom(response);
    if (typed) chat.clearDraft();
    await followJob(response);
  } catch (err) {
    if (err.name !== "AbortError") {
      setStatus(err, "error");
      chat.liveTurn({ status: "error", note: "" });
    }
  } finally {
    end(job);
  }
}

// Picks up the project's running job: the one this browser followed, else one the server says
// is running (started in another tab or browser). Replayed from its first event.
export async function resumeJob() {
  const projectId = state.projectId;
  let found = store.get("jobs", projectId);
  if (!found || !found.id) {
    const active = await projectJson((id) => api.turns(id, `?active=true&limit=1&kinds=${FOLLOWED}`));
    const turn = Array.isArray(active) ? active[0] : null;
    found = turn ? { id: turn.id, kind: turn.kind } : null;
  }
  if (!found || !found.id || projectId !== state.projectId || state.job.busy) return;
  const kind = ["plan", "restore", "clone"].includes(found.kind) ? found.kind : "generate";
  begin(kind, String(found.id));
  const job = state.job;
  setStatus("Reconnecting to the running job…", "busy");
  try {
    await followJob(null);
  } finally {
    end(job);
  }
}

// Stop: the running job (its stream ends "cancelled"), or the build run of the plan.
export async function stopJob() {
  const job = state.job;
  if (!job.busy || !job.id) return;
  $("stop").disabled = true;
  // Said before asking: the job's "cancelled" may come before the answer does.
  setStatus("Stopping…", "busy");
  try {
    await call("POST", api.cancelJob(job.id), {});
  } catch (err) {
    if (err instanceof HttpError && err.status === 409) {
      setStatus("That had already finished.", "");
    } else {
      setStatus(err, "error");
    }
  } finally {
    $("stop").disabled = false;
  }
}

// Lets go of the job followed (the page left the project); the job itself goes on.
export function dropJob() {
  const job = state.job;
  if (job.controller) job.controller.abort();
  job.busy = false;
}
