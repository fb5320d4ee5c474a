// The Ship tab's Git section: link the project to a git remote (its address, branch and a
// token that is sent once and never shown again), then its status, head and recent pushes,
// Sync now and Unlink. A push that found the remote's branch moved on went to a new branch:
// the page says so, since nothing was overwritten and someone has to merge it.

import { $, make, plural, str, timeAgo } from "../core/dom.js";
import { ask } from "../core/dialog.js";
import { HttpError, api, call, getJson } from "../core/http.js";
import { errorText, notify } from "../core/status.js";
import { gitStatus, movedNotice, pushesByVersion, remoteProblem,
         shortSha } from "../lib/ship-words.js";
import { coalesced, followJob } from "./background.js";
import { state } from "./state.js";
import { setPushes } from "./versions.js";

// The link shown (the API's answer), null while the project has none.
let link = null;
// The first load for the open project: the channel's git_sync events wait for it, to tell a
// push that happens now from one replayed from the channel's start.
let loaded = Promise.resolve();
// Commits the page already knew of, and the newest version pushed when it looked: a
// git_sync event of either is old news, not worth a notice.
let known = new Set();
let baseline = Infinity;

function say(id, text, kind = "") {
  const line = $(id);
  line.textContent = text;
  line.dataset.kind = kind;
}

const sayLinked = (text, kind) => say("git-line", text, kind);

function pushItem(push) {
  const item = make("li", "ship-item");
  const version = Number(push.version) || 0;
  const head = make("div", "item-line");
  head.append(make("span", "version", `v${version}`), make("span", "arrow", "→"),
              make("code", "sha", shortSha(push.commit)),
              make("span", "mono branch", str(push.branch)));
  if (push.moved) head.append(make("span", "badge", "moved"));
  const when = timeAgo(push.at);
  if (when) head.append(make("span", "meta", when));
  item.append(head);
  return item;
}

// Shows `answer` (the link's status, or null: not linked), and the versions' pushed badges.
export function showGit(answer) {
  link = answer && typeof answer === "object" ? answer : null;
  $("git-form").hidden = Boolean(link);
  $("git-linked").hidden = !link;
  const pushes = link && Array.isArray(link.pushes) ? link.pushes : [];
  setPushes(pushesByVersion(pushes));
  if (!link) return;
  for (const push of pushes) known.add(str(push.commit));
  $("git-shown-remote").textContent = str(link.remote_url);
  $("git-shown-branch").textContent = str(link.branch);
  const status = str(link.status);
  $("git-state").textContent = status || "unknown";
  $("git-state").dataset.status = { synced: "done", moved: "paused", failed: "failed",
                                    linked: "running" }[status] || "";
  $("git-state-text").textContent = gitStatus(link);
  $("git-head").textContent = str(link.head) ? shortSha(link.head) : "nothing pushed yet";
  $("git-head").title = str(link.head);
  $("git-pushes").replaceChildren(...pushes.map(pushItem));
  if (!pushes.length) $("git-pushes").append(make("li", "empty-note", "No push yet."));
}

async function load() {
  const projectId = state.projectId;
  if (!projectId) return;
  try {
    const answer = await getJson(api.git(projectId), { signal: state.controller.signal });
    if (projectId === state.projectId) showGit(answer);
  } catch (err) {
    if (projectId !== state.projectId || err.name === "AbortError") return;
    // Not linked (the API's 404 for a project without a remote).
    if (err instanceof HttpError && err.status === 404) showGit(null);
    else sayLinked(errorText(err), "error");
  }
}

export const loadGit = coalesced(load);

// A project opened: its link as it is now; what the channel replays is measured against it.
export function openGit() {
  link = null;
  known = new Set();
  baseline = Infinity;
  resetForm();
  sayLinked("", "");
  $("git-form").hidden = true;
  $("git-linked").hidden = true;
  loaded = loadGit().then(() => {
    baseline = link ? Number(link.pushed_version) || 0 : Infinity;
  });
}

function resetForm() {
  $("git-form").reset();
  say("git-form-status", "", "");
}

// The page linked the project just now: every push from here on is news.
export function linkedHere(answer) {
  baseline = 0;
  showGit(answer);
}

// A `git_sync` event of the project's channel: a version was pushed.
export async function onGitSync(data) {
  const projectId = state.projectId;
  await loaded;
  if (projectId !== state.projectId) return;
  const commit = str(data.commit);
  const news = !known.has(commit) && (Number(data.version) || 0) > baseline;
  known.add(commit);
  if (news && data.moved) notify(movedNotice(data));
  loadGit();
}

function formBody() {
  const body = { remote_url: $("git-remote").value.trim(),
                 branch: $("git-branch").value.trim() || "main",
                 username: $("git-username").value.trim() || "x-access-token" };
  const token = $("git-token").value.trim();
  if (token) body.token = token;
  return body;
}

async function linkRemote(e) {
  e.preventDefault();
  const body = formBody();
  const problem = remoteProblem(body.remote_url);
  if (problem) {
    say("git-form-status", problem, "error");
    $("git-remote").focus();
    return;
  }
  const projectId = state.projectId;
  $("git-link").disabled = true;
  say("git-form-status", "Linking…", "busy");
  try {
    const answer = await call("PUT", api.git(projectId), body,
                              { signal: state.controller.signal });
    if (projectId !== state.projectId) return;
    // The token went to the server once; the page keeps no copy of it.
    resetForm();
    linkedHere(answer);
    sayLinked("Linked. Versions not on the remote yet are being pushed.", "ok");
  } catch (err) {
    if (err.name !== "AbortError") say("git-form-status", errorText(err), "error");
  } finally {
    $("git-link").disabled = false;
  }
}

function syncEvent(name, data) {
  switch (name) {
    case "status":
      if (str(data.message)) sayLinked(data.message, "busy");
      break;
    case "git_sync":
      sayLinked(`Pushed version ${Number(data.version) || "?"} as ${shortSha(data.commit)}…`,
                "busy");
      break;
    case "complete": {
      const pushed = Array.isArray(data.pushed) ? data.pushed.length : 0;
      sayLinked(pushed ? `Synced: ${plural(pushed, "version")} pushed.`
                       : "Synced: the remote had every version already.", "ok");
      loadGit();
      break;
    }
    case "error":
      sayLinked(`The sync failed: ${str(data.message) || "no reason given"}. Check the ` +
                "address and the token, then try again.", "error");
      loadGit();
      break;
    case "cancelled":
      sayLinked("The sync was stopped before it finished.", "warn");
      loadGit();
      break;
    default:
      break;
  }
}

async function syncNow() {
  const projectId = state.projectId;
  const controller = state.controller;
  $("git-sync").disabled = true;
  sayLinked("Syncing…", "busy");
  try {
    const started = await call("POST", api.gitSync(projectId), undefined,
                               { signal: controller.signal });
    if (projectId !== state.projectId) return;
    await followJob(str(started.job_id), controller, syncEvent, "sync",
                    (what, kind) => sayLinked(typeof what === "string" ? what : errorText(what),
                                              kind));
  } catch (err) {
    if (err.name !== "AbortError") sayLinked(errorText(err), "error");
  } finally {
    $("git-sync").disabled = false;
  }
}

async function unlink() {
  const sure = await ask({
    heading: "Unlink the git remote?", ok: "Unlink", danger: true,
    text: "New versions are no longer pushed, and the token is forgotten. The remote keeps " +
          "every commit it has." });
  if (!sure) return;
  const projectId = state.projectId;
  try {
    await call("DELETE", api.git(projectId), undefined, { signal: state.controller.signal });
    if (projectId !== state.projectId) return;
    showGit(null);
    say("git-form-status", "Unlinked. The remote keeps what it has.", "ok");
  } catch (err) {
    if (err.name !== "AbortError") sayLinked(errorText(err), "error");
  }
}

export function wireGit() {
  $("git-form").addEventListener("submit", linkRemote);
  $("git-sync").addEventListener("click", syncNow);
  $("git-unlink").addEventListener("click", unlink);
}
