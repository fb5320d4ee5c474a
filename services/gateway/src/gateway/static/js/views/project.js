// One project ("/p/<id>"): the chat column and the tabbed work area (Preview · Code ·
// Versions · Board · Ship); below 860 px one of the two at a time. Opening it picks up where
// this browser, or any other, left it: the running job, the board's build, the problems, the
// draft, a publish under way.

import { $, str } from "../core/dom.js";
import { HttpError, api, getJson } from "../core/http.js";
import { notify, setStatus } from "../core/status.js";
import * as store from "../core/store.js";
import { dropRun, loadLatestPlan, setProgressListener, showPlan, stopRun,
         wireBoard } from "../panels/board.js";
import * as chat from "../panels/chat.js";
import { clearCode, loadFiles, showFile } from "../panels/code.js";
import { dropJob, resumeJob, setEndListener, startJob, stopJob } from "../panels/jobs.js";
import { showView, wireLayout } from "../panels/layout.js";
import { resetOutput } from "../panels/output.js";
import { clearPreview, loadPreview, wirePreview } from "../panels/preview.js";
import { setChannelListener, setFixer, watchProject, wireProblems } from "../panels/problems.js";
import { openShip, shipEvent, showShip, wireShip } from "../panels/ship.js";
import { state, updateControls } from "../panels/state.js";
import { showTab, wireTabs } from "../panels/tabs.js";
import { wireTicketForm } from "../panels/ticket-form.js";
import { hideUsage, refreshUsage } from "../panels/usage.js";
import { clearVersions, loadVersions, select as selectVersion, setRestorer,
         wireVersions } from "../panels/versions.js";

let wired = false;

function send(kind) {
  const prompt = $("prompt").value.trim();
  if (!prompt) {
    setStatus("Describe the site first.", "error");
    $("prompt").focus();
    return;
  }
  startJob(kind, { prompt, typed: true });
}

// What a finished job changed: history, files, versions, costs.
function refreshAfterJob() {
  chat.loadTurns();
  loadFiles();
  loadVersions();
}

function wire() {
  if (wired) return;
  wired = true;
  $("prompt-form").addEventListener("submit", (e) => {
    e.preventDefault();
    send(e.submitter === $("plan") ? "plan" : "generate");
  });
  $("stop").addEventListener("click", () => (state.job.busy ? stopJob() : stopRun()));
  chat.wireChat(send);
  chat.setVersionOpener((n) => {
    showTab("versions");
    showView("main");
    selectVersion(n);
  });
  setFixer((prompt) => startJob("generate", { prompt }));
  setRestorer((n) => startJob("restore", { version: n }));
  setEndListener(refreshAfterJob);
  setProgressListener(refreshAfterJob);
  wireTabs((name) => {
    if (name === "versions") loadVersions();
    if (name === "ship") showShip();
  });
  setChannelListener(shipEvent);
  wireShip();
  wireLayout();
  wirePreview();
  wireProblems();
  wireBoard();
  wireTicketForm();
  wireVersions();
}

async function open(projectId, query) {
  state.projectId = projectId;
  state.project = null;
  state.controller = new AbortController();
  $("sign-in").hidden = true;
  $("missing").hidden = true;
  $("workspace").hidden = false;
  $("project-name").textContent = "";
  $("turns").replaceChildren();
  $("turns-empty").hidden = false;
  setStatus("", "");
  chat.restoreDraft();
  showTab(query.tab || "preview");
  // On a phone, a link to a tab is a link to the work area.
  showView(query.tab ? "main" : "chat");
  let project;
  try {
    project = await getJson(api.project(projectId), { signal: state.controller.signal });
  } catch (err) {
    if (projectId !== state.projectId || err.name === "AbortError") return;
    if (err instanceof HttpError && err.status === 404) {
      $("workspace").hidden = true;
      $("missing").hidden = false;
      document.title = "Project not found · Paynto";
    } else {
      notify(err);
    }
    return;
  }
  if (projectId !== state.projectId) return;
  state.project = project;
  $("project-name").textContent = project.name;
  document.title = `${project.name} · Paynto`;
  openShip();
  if (query.tab === "ship") showShip();
  watchProject(projectId);
  refreshUsage();
  loadPreview();
  chat.loadModels();
  await chat.loadTurns();
  loadFiles(query.file || "").then(() => {
    if (query.file) showFile(query.file);
  });
  loadVersions().then(() => {
    if (query.tab === "versions" && Number(query.v)) selectVersion(Number(query.v));
  });
  // A project made from the home page with a prompt (that prompt is its first turn) or to
  // clone a site (the clone is).
  const first = store.get("starts", projectId);
  if (typeof first === "string" && first) {
    store.put("starts", projectId, undefined);
    startJob("generate", { prompt: first });
    return;
  }
  if (first && typeof first === "object" && first.kind === "clone" && str(first.url)) {
    store.put("starts", projectId, undefined);
    startJob("clone", { url: first.url, pages: Number(first.pages) || 1,
                        prompt: str(first.prompt) });
    return;
  }
  const planning = store.get("jobs", projectId)?.kind === "plan";
  // A plan still being made shows its own board as its events replay.
  if (!planning) loadLatestPlan();
  resumeJob();
}

function close() {
  state.controller?.abort();
  dropJob();
  dropRun();
  watchProject(null);
  state.projectId = null;
  state.project = null;
  showPlan(null);
  resetOutput();
  clearPreview();
  clearCode();
  clearVersions();
  hideUsage();
  $("progress").hidden = true;
  $("workspace").hidden = true;
  $("missing").hidden = true;
  notify(null);
  updateControls();
}

export const project = {
  show(params, query, { same }) {
    wire();
    if (same && state.projectId === params.id) {
      if (query.tab) showTab(query.tab);
      if (query.tab === "ship") showShip();
      return;
    }
    open(params.id, query);
  },
  hide() {
    close();
  },
};
