// Versions: every applied turn of the project, what each changed (a diff against the one
// before), and restore, fork or download any of them.

import { $, button, make, plural, str, timeAgo } from "../core/dom.js";
import { api, call, getJson } from "../core/http.js";
import { navigate, setQuery } from "../core/router.js";
import { errorText, setStatus } from "../core/status.js";
import { diffRows } from "../lib/diff-view.js";
import { shortSha } from "../lib/ship-words.js";
import { promptOf } from "./chat.js";
import { projectJson, state, updateControls } from "./state.js";

let versions = [];
let selected = 0;
// The git remote's newest push of each version: version → {commit, branch, moved}.
let pushes = new Map();

// What Restore does with a version (the project page sets it: a job like any other).
let restorer = () => {};
export function setRestorer(fn) { restorer = fn; }

function versionItem(version) {
  const item = make("li", "version");
  const n = Number(version.number);
  const pushed = pushes.get(n);
  const sha = pushed ? shortSha(pushed.commit) : "";
  const open = button("pick", "", () => select(n),
                      `Version ${n}${sha ? `, pushed as ${sha}` : ""}`);
  open.append(make("span", "number", `v${n}`),
              make("span", "what", promptOf(version.job_id) || plural((version.files || []).length, "file")),
              make("span", "meta", [str(version.model), timeAgo(version.created_at)]
                .filter(Boolean).join(" · ")));
  if (sha) {
    const badge = make("span", "pushed", `pushed ${sha}`);
    badge.title = `On the git remote as ${str(pushed.commit)} (${str(pushed.branch)})`;
    open.append(badge);
  }
  if (n === selected) open.setAttribute("aria-current", "true");
  item.append(open);
  return item;
}

function render() {
  const list = $("version-list");
  list.replaceChildren(...versions.map(versionItem));
  if (!versions.length) list.append(make("li", "empty-note", "No versions yet."));
  updateControls();
}

// The git remote's pushes (the Git section sets them with each status it loads).
export function setPushes(byVersion) {
  pushes = byVersion instanceof Map ? byVersion : new Map();
  render();
}

export async function loadVersions() {
  const answer = await projectJson(api.versions);
  if (!answer) return;
  versions = Array.isArray(answer) ? answer : [];
  const latest = versions.length ? Number(versions[0].number) : 0;
  $("download-zip").hidden = !latest;
  $("download-zip").href = api.zip(state.projectId);
  render();
  if (selected && !$("panel-versions").hidden) showDiff(selected);
}

function diffTable(file) {
  const box = make("section", "diff-file");
  const head = make("h4", "", file.path);
  head.append(make("span", `tag diff-${str(file.status)}`, str(file.status)),
              make("span", "count", `+${Number(file.additions) || 0} −${Number(file.deletions) || 0}`));
  box.append(head);
  if (file.too_large) {
    box.append(make("p", "empty-note", "Too large to show here: download the zip to compare."));
    return box;
  }
  const table = make("table", "diff-table");
  const body = make("tbody");
  for (const row of diffRows(file)) {
    const tr = make("tr", `row-${row.kind}`);
    tr.append(make("td", "no", row.oldNo ?? ""), make("td", "no", row.newNo ?? ""));
    const sign = row.kind === "add" ? "+" : row.kind === "del" ? "−" : row.kind === "hunk" ? "" : " ";
    tr.append(make("td", "text", `${sign}${row.text}`));
    body.append(tr);
  }
  table.append(body);
  box.append(table);
  return box;
}

async function showDiff(n) {
  const projectId = state.projectId;
  const target = $("version-diff");
  target.replaceChildren(make("p", "empty-note", "Loading the changes…"));
  let diff;
  try {
    diff = await getJson(api.diff(projectId, n), { signal: state.controller.signal });
  } catch (err) {
    target.replaceChildren(make("p", "error", errorText(err)));
    return;
  }
  if (projectId !== state.projectId || n !== selected) return;
  const files = Array.isArray(diff.files) ? diff.files : [];
  const against = Number(diff.against) || 0;
  $("version-summary").textContent = files.length
    ? `${plural(files.length, "file")} changed since ${against ? `version ${against}` : "the start"}.`
    : `No change since ${against ? `version ${against}` : "the start"}.`;
  target.replaceChildren(...files.map(diffTable));
}

export function select(n) {
  selected = n;
  const latest = versions.length ? Number(versions[0].number) : 0;
  $("version-heading").textContent = `Version ${n}${n === latest ? " (latest)" : ""}`;
  $("version-restore").hidden = n === latest;
  $("version-fork").hidden = false;
  $("version-zip").hidden = false;
  $("version-zip").href = api.zip(state.projectId, n);
  setQuery({ v: n });
  render();
  showDiff(n);
}

async function fork() {
  const n = selected;
  try {
    const project = await call("POST", api.fork(state.projectId), { version: n });
    navigate(`/p/${encodeURIComponent(project.id)}`);
  } catch (err) {
    setStatus(err, "error");
  }
}

export function clearVersions() {
  versions = [];
  selected = 0;
  pushes = new Map();
  $("version-heading").textContent = "Pick a version";
  $("version-summary").textContent = "";
  $("version-diff").replaceChildren();
  for (const id of ["version-restore", "version-fork", "version-zip", "download-zip"]) {
    $(id).hidden = true;
  }
  render();
}

export function wireVersions() {
  $("version-restore").addEventListener("click", () => restorer(selected));
  $("version-fork").addEventListener("click", fork);
}
