// What the open project's panels share: the project, the job followed, the plan on the board
// and its build run. One project is open at a time; opening another starts these afresh.

import { $ } from "../core/dom.js";
import { getJson } from "../core/http.js";

export const state = {
  projectId: null,
  project: null,
  // Aborted when the page leaves the project: every fetch and stream of it follows this.
  controller: null,
  // kind: "generate" | "plan" | "restore"; busy from the request until its stream is let go.
  job: { id: null, lastEventId: null, finished: true, kind: "generate", busy: false,
         controller: null },
  // The board shown: the project's latest plan. `shownVersion` is the newest project version a
  // done ticket has put in the preview; `pending` while a request on the board is out;
  // `events` counts the run's events shown, for telling a stale snapshot of the board.
  plan: { id: null, state: "", blueprint: {}, tickets: new Map(), shownVersion: 0,
          pending: false, events: 0 },
  // The build run followed; each run is its own object, so a stale one can tell it is stale.
  run: { planId: null, lastEventId: null, finished: true, following: false, controller: null },
};

// GET `url(projectId)` for the open project: its JSON, or null when the request failed (the
// panel keeps what it shows) or the page moved to another project while it was on its way.
export async function projectJson(url) {
  const projectId = state.projectId;
  try {
    const data = await getJson(url(projectId), { signal: state.controller.signal });
    return projectId === state.projectId ? data : null;
  } catch {
    return null;
  }
}

// Not while a request on the board is out, nor while a plan is being made: its tickets still
// arrive, and would undo the change on the board.
export function boardFrozen() {
  return state.plan.pending || (state.job.busy && state.job.kind === "plan");
}

// One job or one build at a time: both write new versions of the project.
export function updateControls() {
  const { job, plan, run } = state;
  const busy = job.busy || run.following;
  $("generate").disabled = busy;
  $("plan").disabled = busy;
  $("stop").hidden = !(job.busy && job.id) && !run.following;
  $("build-plan").hidden = plan.state !== "planned";
  $("pause-plan").hidden = plan.state !== "running";
  // A built plan given a new ticket is built on the same way as a stopped one.
  const more = plan.state === "done" &&
               [...plan.tickets.values()].some((t) => t.state === "backlog");
  $("resume-plan").hidden = plan.state !== "paused" && plan.state !== "stopped" && !more;
  $("build-plan").disabled = busy || plan.pending;
  for (const b of $("problem-list").querySelectorAll("button.fix")) b.disabled = busy;
  // A paused run may still be finishing its tickets; resuming starts a new run at once.
  $("resume-plan").disabled = job.busy || plan.pending;
  $("pause-plan").disabled = plan.pending;
  for (const b of $("board").querySelectorAll("button.retry")) b.disabled = plan.pending;
  const frozen = boardFrozen();
  $("add-ticket").disabled = frozen;
  for (const b of $("board").querySelectorAll("button.edit, button.remove")) b.disabled = frozen;
  for (const b of $("version-list").querySelectorAll("button.restore")) b.disabled = busy;
  $("version-restore").disabled = busy;
}
