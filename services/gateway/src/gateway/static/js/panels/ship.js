// The Ship tab (Publish · Git · GitHub): what opening a project, showing the tab and the
// project's channel do to its three sections.

import { loadGit, onGitSync, openGit, wireGit } from "./git.js";
import { loadGithub, openGithub, wireGithub } from "./github.js";
import { loadPublish, loadTokens, openPublish, resumePublish, wirePublish } from "./publish.js";
import { state } from "./state.js";

// The project whose Publish and GitHub sections were loaded: they load when the tab is first
// shown, the Git section on opening (the versions' pushed badges need it).
let loadedFor = null;

export function openShip() {
  loadedFor = null;
  openPublish();
  openGithub();
  openGit();
  resumePublish();
}

export function showShip() {
  if (!state.projectId || loadedFor === state.projectId) return;
  loadedFor = state.projectId;
  loadPublish();
  loadTokens();
  loadGithub();
  loadGit();
}

// An event of the project's channel.
export function shipEvent(name, data) {
  if (name === "git_sync") onGitSync(data);
  else if ((name === "published" || name === "deploy") && loadedFor === state.projectId) {
    loadPublish();
  }
}

export function wireShip() {
  wirePublish();
  wireGit();
  wireGithub();
}
