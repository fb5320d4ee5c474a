// The Ship tab's Publish section: publish the latest version (a job whose status lines show
// as it builds), the live address, every publish with its Vercel and Netlify deploys, make an
// earlier one live again, auto-publish, unpublish; and the account's deploy tokens, which the
// page sends once and never shows again.

import { $, button, make, str, timeAgo } from "../core/dom.js";
import { ask } from "../core/dialog.js";
import { HttpError, api, call, getJson } from "../core/http.js";
import { errorText } from "../core/status.js";
import * as store from "../core/store.js";
import { bytes, deployState, providerName, publishOutcome, publishState,
         safeUrl } from "../lib/ship-words.js";
import { coalesced, followJob } from "./background.js";
import { state } from "./state.js";

const PROVIDERS = ["vercel", "netlify"];

// The publish job followed, if any: { id, projectId }.
let following = null;

function say(text, kind = "") {
  const line = $("publish-line");
  line.textContent = text;
  line.dataset.kind = kind;
}

// `url` as a link that opens in a new tab, or its text alone when it is no http(s) address.
function outLink(url, text, className = "") {
  const href = safeUrl(url, location.href);
  if (!href) return make("span", className, text || str(url));
  const link = make("a", className, text || href);
  link.href = href;
  link.target = "_blank";
  link.rel = "noopener";
  return link;
}

function deployItem(deploy) {
  const item = make("li", "deploy");
  item.dataset.status = str(deploy.status);
  item.append(make("span", "", deployState(deploy)));
  if (str(deploy.url)) {
    item.append(" ", outLink(deploy.url, "", "deploy-url"));
  }
  return item;
}

function publishItem(publish) {
  const item = make("li", "ship-item");
  const version = Number(publish.version) || 0;
  item.dataset.version = String(version);
  const head = make("div", "item-line");
  const badge = make("span", "badge", publishState(publish));
  badge.dataset.status = { building: "running", ready: "done", failed: "failed" }[
    str(publish.status)] || "";
  head.append(make("span", "version", `v${version}`), badge);
  if (publish.live) head.append(make("span", "tag live", "live"));
  const files = Number(publish.files) || 0;
  const facts = [files && `${files} file${files === 1 ? "" : "s"}`,
                 files && bytes(Number(publish.bytes) || 0), timeAgo(publish.created_at)];
  if (facts.some(Boolean)) head.append(make("span", "meta", facts.filter(Boolean).join(" · ")));
  if (publish.status === "ready" && !publish.live) {
    head.append(button("secondary small make-live", "Make live", () => rollback(version),
                       `Make version ${version} live`));
  }
  item.append(head);
  if (str(publish.url)) {
    const pinned = make("p", "pinned");
    pinned.append(make("span", "meta", "Pinned: "), outLink(publish.url, "", "mono"));
    item.append(pinned);
  }
  const deploys = Array.isArray(publish.deploys) ? publish.deploys : [];
  if (deploys.length) {
    const list = make("ul", "deploys");
    list.setAttribute("aria-label", `Deploys of version ${version}`);
    list.append(...deploys.map(deployItem));
    item.append(list);
  }
  return item;
}

// Shows the publishing status the API answers.
function show(status) {
  const live = status && status.live && typeof status.live === "object" ? status.live : null;
  const href = live ? safeUrl(status.url, location.href) : null;
  $("live").hidden = !href;
  if (href) {
    $("live-url").href = href;
    $("live-url").textContent = href;
    $("live-version").textContent = `version ${Number(live.version) || "?"}`;
  }
  $("auto-publish").checked = Boolean(status && status.auto_publish);
  $("publish-settings").hidden = false;
  $("unpublish").hidden = !live;
  const publishes = status && Array.isArray(status.publishes) ? status.publishes : [];
  $("publishes-heading").hidden = !publishes.length;
  $("publish-list").hidden = !publishes.length;
  $("publish-list").replaceChildren(...publishes.map(publishItem));
}

async function load() {
  const projectId = state.projectId;
  if (!projectId) return;
  try {
    const status = await getJson(api.publish(projectId), { signal: state.controller.signal });
    if (projectId === state.projectId) show(status);
  } catch (err) {
    if (projectId !== state.projectId || err.name === "AbortError") return;
    say(errorText(err), "error");
  }
}

export const loadPublish = coalesced(load);

// --- the publish job ---------------------------------------------------------------------

function logLine(text) {
  const log = $("publish-log");
  log.hidden = false;
  log.append(make("li", "", text));
  // The newest few lines are what matters while it builds.
  while (log.childElementCount > 8) log.firstElementChild.remove();
}

function jobEvent(name, data) {
  switch (name) {
    case "status":
      if (str(data.message)) {
        logLine(data.message);
        say(data.message, "busy");
      }
      break;
    case "complete": {
      const ok = Boolean(data.ok);
      say(publishOutcome(data), ok ? "ok" : "error");
      const output = str(data.output).trim();
      $("publish-output").textContent = ok ? "" : output || "The build said nothing more.";
      $("publish-output").hidden = ok;
      loadPublish();
      break;
    }
    case "error":
      say(`Publishing failed: ${str(data.message) || "no reason given"}. Nothing changed ` +
          "online; try again in a moment.", "error");
      loadPublish();
      break;
    case "cancelled":
      say("Publishing was stopped; nothing changed online.", "warn");
      loadPublish();
      break;
    default:
      break;
  }
}

// Follows publish job `jobId` of the open project (remembered, so a reload picks it up).
async function follow(jobId, { resumed = false } = {}) {
  const projectId = state.projectId;
  const controller = state.controller;
  following = { id: jobId, projectId };
  store.put("publishes", projectId, jobId);
  $("publish").disabled = true;
  let ended = false;
  try {
    ended = await followJob(jobId, controller, jobEvent, "publish", (what, kind) => {
      // A job this browser remembered may be gone: its end shows in the list anyway.
      if (resumed && what instanceof HttpError && what.status === 404) return;
      say(typeof what === "string" ? what : errorText(what), kind);
    });
  } catch (err) {
    if (err.name !== "AbortError") say(errorText(err), "error");
  } finally {
    if (following && following.id === jobId) following = null;
    if (!controller.signal.aborted) {
      $("publish").disabled = false;
      if (ended || resumed) store.put("publishes", projectId, undefined);
    }
  }
}

async function publish() {
  const projectId = state.projectId;
  $("publish").disabled = true;
  $("publish-log").replaceChildren();
  $("publish-log").hidden = true;
  $("publish-output").hidden = true;
  say("Starting…", "busy");
  let started;
  try {
    started = await call("POST", api.publish(projectId), {}, { signal: state.controller.signal });
  } catch (err) {
    if (err.name !== "AbortError") {
      say(errorText(err), "error");
      $("publish").disabled = false;
    }
    return;
  }
  if (projectId !== state.projectId) return;
  const version = Number(started.version) || 0;
  say(`Building version ${version || "?"}…`, "busy");
  logLine(`Publishing version ${version || "?"}`);
  loadPublish();
  await follow(str(started.job_id));
}

// A project opened: a publish this browser was following picks up where it was.
export function resumePublish() {
  const jobId = store.get("publishes", state.projectId);
  if (typeof jobId === "string" && jobId && !following) {
    say("Picking up the publish under way…", "busy");
    follow(jobId, { resumed: true });
  }
}

async function rollback(version) {
  const projectId = state.projectId;
  say(`Making version ${version} live…`, "busy");
  try {
    const status = await call("POST", api.rollback(projectId), { version },
                              { signal: state.controller.signal });
    if (projectId !== state.projectId) return;
    show(status);
    say(`Version ${version} is live again.`, "ok");
  } catch (err) {
    if (err.name !== "AbortError") say(errorText(err), "error");
  }
}

async function setAuto() {
  const box = $("auto-publish");
  const wanted = box.checked;
  const projectId = state.projectId;
  box.disabled = true;
  try {
    const status = await call("PATCH", api.publish(projectId), { auto_publish: wanted },
                              { signal: state.controller.signal });
    if (projectId !== state.projectId) return;
    show(status);
    say(wanted ? "Every new version will be published once it is synced."
               : "New versions wait for Publish.", "ok");
  } catch (err) {
    if (err.name === "AbortError") return;
    box.checked = !wanted;
    say(errorText(err), "error");
  } finally {
    box.disabled = false;
  }
}

async function unpublish() {
  const sure = await ask({
    heading: "Unpublish the site?", ok: "Unpublish", danger: true,
    text: "Its address stops showing the site. The builds are kept: publish again or make " +
          "one live to bring it back." });
  if (!sure) return;
  const projectId = state.projectId;
  try {
    await call("DELETE", api.publish(projectId), undefined, { signal: state.controller.signal });
    if (projectId !== state.projectId) return;
    say("Unpublished: the address shows nothing now.", "ok");
    loadPublish();
  } catch (err) {
    if (err.name !== "AbortError") say(errorText(err), "error");
  }
}

// --- deploy tokens -----------------------------------------------------------------------

function showToken(provider, saved, note = "") {
  $(`token-state-${provider}`).textContent = note || (saved ? "Saved." : "None saved.");
  $(`token-remove-${provider}`).hidden = !saved;
}

export async function loadTokens() {
  try {
    const saved = await getJson(api.deployTokens, { signal: state.controller.signal });
    for (const provider of PROVIDERS) showToken(provider, Boolean(saved && saved[provider]));
  } catch (err) {
    if (err.name === "AbortError") return;
    for (const provider of PROVIDERS) showToken(provider, false, errorText(err));
  }
}

async function saveToken(e) {
  e.preventDefault();
  const form = e.currentTarget;
  const provider = form.dataset.provider;
  const input = $(`token-${provider}`);
  const token = input.value.trim();
  if (!token) {
    input.focus();
    return;
  }
  const submit = form.querySelector("button[type=submit]");
  submit.disabled = true;
  try {
    await call("PUT", api.deployToken(provider), { token });
    // Sent once: the page keeps no copy of it.
    input.value = "";
    showToken(provider, true, `${providerName(provider)} token saved.`);
  } catch (err) {
    showToken(provider, !$(`token-remove-${provider}`).hidden, errorText(err));
  } finally {
    submit.disabled = false;
  }
}

async function removeToken(provider) {
  try {
    await call("DELETE", api.deployToken(provider));
    showToken(provider, false, `${providerName(provider)} token removed.`);
    $(`token-${provider}`).focus();
  } catch (err) {
    showToken(provider, true, errorText(err));
  }
}

// A project opened: nothing of the last one's publishing stays on screen.
export function openPublish() {
  following = null;
  say("", "");
  $("publish").disabled = false;
  $("live").hidden = true;
  $("publish-log").replaceChildren();
  $("publish-log").hidden = true;
  $("publish-output").hidden = true;
  $("publish-settings").hidden = true;
  $("publishes-heading").hidden = true;
  $("publish-list").hidden = true;
  $("publish-list").replaceChildren();
}

export function wirePublish() {
  $("publish").addEventListener("click", publish);
  $("auto-publish").addEventListener("change", setAuto);
  $("unpublish").addEventListener("click", unpublish);
  for (const provider of PROVIDERS) {
    $(`token-form-${provider}`).addEventListener("submit", saveToken);
    $(`token-remove-${provider}`).addEventListener("click", () => removeToken(provider));
  }
}
