// The Ship tab's GitHub section: connect GitHub (a token, or the GitHub sign-in where the
// gateway has accounts), pick one of the account's repositories or make one, then link it for
// background sync (the Git section's link, with the account's GitHub token) or commit the
// project's latest version to it now.

import { githubSignIn } from "../account.js";
import { $, make, str, timeAgo } from "../core/dom.js";
import { HttpError, api, call, getJson } from "../core/http.js";
import { errorText } from "../core/status.js";
import { safeUrl, shortSha } from "../lib/ship-words.js";
import { linkedHere } from "./git.js";
import { state } from "./state.js";

// A page of repositories as GitHub lists them: fewer means there are no more.
const PAGE = 30;

let repos = [];
let page = 0;
let chosen = null;

function say(id, text, kind = "") {
  const line = $(id);
  line.textContent = text;
  line.dataset.kind = kind;
}

const sayLine = (text, kind) => say("github-line", text, kind);
const sayResult = (text, kind) => say("github-result", text, kind);

function outLink(url, text) {
  const href = safeUrl(url, location.href);
  if (!href) return make("span", "", text);
  const link = make("a", "", text);
  link.href = href;
  link.target = "_blank";
  link.rel = "noopener";
  return link;
}

function repoItem(repo, n) {
  const item = make("li", "repo");
  const id = `github-repo-${n}`;
  const radio = make("input");
  radio.type = "radio";
  radio.name = "github-repo";
  radio.id = id;
  radio.value = str(repo.full_name);
  radio.checked = Boolean(chosen && chosen.full_name === repo.full_name);
  radio.addEventListener("change", () => choose(repo));
  const label = make("label", "inline");
  label.htmlFor = id;
  label.append(make("span", "mono", str(repo.full_name)));
  if (repo.private) label.append(" ", make("span", "tag", "private"));
  const when = timeAgo(repo.updated_at);
  if (when) label.append(" ", make("span", "meta", `updated ${when}`));
  item.append(radio, label);
  return item;
}

function showRepos() {
  $("github-repos").replaceChildren(...repos.map(repoItem));
  if (!repos.length) {
    $("github-repos").append(make("li", "empty-note",
                                  "No repositories yet: create one below."));
  }
}

function choose(repo) {
  chosen = repo;
  $("github-chosen").hidden = false;
  const link = $("github-chosen-link");
  link.textContent = str(repo.full_name);
  const href = safeUrl(repo.html_url, location.href);
  if (href) link.href = href;
  $("github-branch").value = str(repo.default_branch) || "main";
  sayLine("", "");
  sayResult("", "");
}

async function loadRepos(next) {
  const projectId = state.projectId;
  $("github-more").disabled = true;
  try {
    const answer = await getJson(api.githubRepos(next), { signal: state.controller.signal });
    if (projectId !== state.projectId) return;
    const found = Array.isArray(answer) ? answer : [];
    const have = new Set(repos.map((r) => r.full_name));
    repos = [...repos, ...found.filter((r) => r && !have.has(r.full_name))];
    page = next;
    $("github-more").hidden = found.length < PAGE;
    showRepos();
  } catch (err) {
    if (err.name !== "AbortError") sayLine(errorText(err), "error");
  } finally {
    $("github-more").disabled = false;
  }
}

function showConnection(github) {
  const connected = Boolean(github && github.connected);
  $("github-connect").hidden = connected;
  $("github-connected").hidden = !connected;
  if (!connected) {
    // A token kept but refused now (revoked, expired): GitHub's reason, to connect again.
    if (str(github && github.reason)) sayLine(github.reason, "warn");
    $("github-sign-in-row").hidden = !githubSignIn();
    $("github-sign-in").href = api.githubSignIn(location.pathname + location.search);
    return;
  }
  const login = str(github.login);
  $("github-who").textContent = `Connected as ${login || "your GitHub account"}` +
    (github.via === "oauth" ? " (through your GitHub sign-in)." : ".");
  // A sign-in's connection ends with signing out; a token's can be dropped here.
  $("github-disconnect").hidden = github.via !== "token";
}

export async function loadGithub() {
  const projectId = state.projectId;
  let github;
  try {
    github = await getJson(api.github, { signal: state.controller.signal });
  } catch (err) {
    if (projectId !== state.projectId || err.name === "AbortError") return;
    $("github-connect").hidden = true;
    $("github-connected").hidden = true;
    sayLine(err instanceof HttpError && err.status === 404
      ? "This Paynto server does not offer GitHub yet." : errorText(err), "error");
    return;
  }
  if (projectId !== state.projectId) return;
  showConnection(github);
  if (github && github.connected && !page) await loadRepos(1);
}

// A project opened: the connection is the account's, but the choice is the project's.
export function openGithub() {
  repos = [];
  page = 0;
  chosen = null;
  $("github-repos").replaceChildren();
  $("github-chosen").hidden = true;
  $("github-more").hidden = true;
  $("github-connect").hidden = true;
  $("github-connected").hidden = true;
  sayLine("", "");
  sayResult("", "");
}

async function connect(e) {
  e.preventDefault();
  const input = $("github-token");
  const token = input.value.trim();
  if (!token) {
    input.focus();
    return;
  }
  sayLine("Asking GitHub…", "busy");
  try {
    await call("PUT", api.githubToken, { token }, { signal: state.controller.signal });
    // Sent once: the page keeps no copy of it.
    input.value = "";
    sayLine("", "");
    openGithub();
    await loadGithub();
  } catch (err) {
    if (err.name === "AbortError") return;
    // A 422 is GitHub refusing the token: the gateway's words say so.
    sayLine(errorText(err), "error");
  }
}

async function disconnect() {
  try {
    await call("DELETE", api.githubToken, undefined, { signal: state.controller.signal });
    openGithub();
    await loadGithub();
    sayLine("Disconnected: the GitHub token is forgotten.", "ok");
  } catch (err) {
    if (err.name !== "AbortError") sayLine(errorText(err), "error");
  }
}

// GitHub's 409: no GitHub connection (any more).
function connectFirst(err) {
  if (!(err instanceof HttpError && err.status === 409)) return false;
  sayResult("", "");
  sayLine("Connect GitHub first: save a token, or sign in with GitHub.", "error");
  loadGithub();
  return true;
}

async function create(e) {
  e.preventDefault();
  const name = $("github-new-name").value.trim();
  if (!$("github-create-form").reportValidity()) return;
  $("github-new").disabled = true;
  sayLine(`Creating ${name}…`, "busy");
  try {
    const repo = await call("POST", api.githubNewRepo,
                            { name, private: $("github-new-private").checked },
                            { signal: state.controller.signal });
    repos = [repo, ...repos.filter((r) => r.full_name !== repo.full_name)];
    choose(repo);
    showRepos();
    $("github-create-form").reset();
    $("github-create").open = false;
    sayLine(`Created ${str(repo.full_name)}.`, "ok");
  } catch (err) {
    if (err.name !== "AbortError" && !connectFirst(err)) sayLine(errorText(err), "error");
  } finally {
    $("github-new").disabled = false;
  }
}

function branch() {
  return $("github-branch").value.trim() || str(chosen && chosen.default_branch) || "main";
}

// Link for background sync: the Git section's link to the repository, with no token of its
// own (the gateway pushes to github.com with the account's GitHub token).
async function linkRepo() {
  if (!chosen) return;
  const projectId = state.projectId;
  const repo = chosen;
  $("github-link").disabled = true;
  sayResult("Linking…", "busy");
  try {
    const answer = await call("PUT", api.git(projectId),
                              { remote_url: str(repo.clone_url), branch: branch() },
                              { signal: state.controller.signal });
    if (projectId !== state.projectId) return;
    linkedHere(answer);
    sayResult(`Linked: every new version is pushed to ${str(repo.full_name)} in the ` +
              "background (see Git above).", "ok");
  } catch (err) {
    if (err.name !== "AbortError") sayResult(errorText(err), "error");
  } finally {
    $("github-link").disabled = false;
  }
}

async function commitNow() {
  if (!chosen) return;
  const projectId = state.projectId;
  const repo = chosen;
  $("github-commit").disabled = true;
  sayResult("Committing…", "busy");
  try {
    const done = await call("POST", api.githubCommit,
                            { project_id: projectId, repo: str(repo.full_name),
                              branch: branch() },
                            { signal: state.controller.signal });
    if (projectId !== state.projectId) return;
    const line = $("github-result");
    const words = `Committed version ${Number(done.version) || "?"} to ${str(done.branch)}` +
      (done.moved ? ` (the branch had moved on, so this is a new branch; nothing was ` +
                    "overwritten)" : "") + ": ";
    line.replaceChildren(words, outLink(done.html_url, shortSha(done.commit)), ".");
    line.dataset.kind = "ok";
  } catch (err) {
    if (err.name !== "AbortError" && !connectFirst(err)) sayResult(errorText(err), "error");
  } finally {
    $("github-commit").disabled = false;
  }
}

export function wireGithub() {
  $("github-token-form").addEventListener("submit", connect);
  $("github-disconnect").addEventListener("click", disconnect);
  $("github-more").addEventListener("click", () => loadRepos(page + 1));
  $("github-create-form").addEventListener("submit", create);
  $("github-link").addEventListener("click", linkRepo);
  $("github-commit").addEventListener("click", commitNow);
}
