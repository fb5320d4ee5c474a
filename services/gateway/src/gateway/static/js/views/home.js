// The projects home ("/"): describe a new site, or come back to one; rename and delete.

import { $, button, make, plural, str, timeAgo } from "../core/dom.js";
import { ask } from "../core/dialog.js";
import { api, call, getJson } from "../core/http.js";
import { navigate } from "../core/router.js";
import { notify } from "../core/status.js";
import * as store from "../core/store.js";

let controller = null;
let wired = false;

// A project's name from the first words of its prompt.
export function nameFrom(prompt) {
  return prompt.trim().split(/\s+/).slice(0, 6).join(" ").slice(0, 60) || "Untitled site";
}

function card(project) {
  const item = make("li", "project-card");
  item.dataset.id = project.id;
  // A colour of its own from its id, until a screenshot service gives thumbnails.
  let hash = 0;
  for (const ch of str(project.id)) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  item.dataset.hue = String(hash % 8);
  const swatch = make("span", "swatch");
  swatch.setAttribute("aria-hidden", "true");
  swatch.textContent = (str(project.name).trim()[0] || "?").toUpperCase();
  const link = make("a", "open", str(project.name) || "Untitled site");
  link.href = `/p/${encodeURIComponent(project.id)}`;
  link.dataset.link = "";
  const version = Number(project.latest_version) || 0;
  const changed = timeAgo(project.changed_at || project.updated_at || project.created_at);
  const facts = [version ? `v${version}` : "no version yet", changed && `changed ${changed}`];
  const meta = make("span", "meta", facts.filter(Boolean).join(" · "));
  const body = make("div", "body");
  body.append(link, meta);
  if (project.active_job) body.append(make("span", "tag live", "building…"));
  const actions = make("div", "actions");
  actions.append(
    button("link-button", "Rename", () => rename(project), `Rename ${project.name}`),
    button("link-button danger-text", "Delete", () => remove(project),
           `Delete ${project.name}`));
  item.append(swatch, body, actions);
  return item;
}

async function refresh() {
  let projects;
  try {
    projects = await getJson(api.projects, { signal: controller.signal });
  } catch (err) {
    if (err.name !== "AbortError") notify(err);
    return;
  }
  const list = Array.isArray(projects) ? projects : [];
  $("project-list").replaceChildren(...list.map(card));
  $("projects-empty").hidden = list.length > 0;
  $("project-count").textContent = list.length ? `· ${plural(list.length, "project")}` : "";
}

async function rename(project) {
  const name = await ask({ heading: "Rename project", field: "Name", value: project.name,
                           ok: "Rename" });
  if (!name || name === project.name) return;
  try {
    await call("PATCH", api.project(project.id), { name });
  } catch (err) {
    notify(err);
  }
  refresh();
}

async function remove(project) {
  const sure = await ask({
    heading: `Delete “${project.name}”?`, ok: "Delete", danger: true,
    text: "Its versions, plans and preview go with it. This cannot be undone." });
  if (!sure) return;
  try {
    await call("DELETE", api.project(project.id));
  } catch (err) {
    notify(err);
  }
  store.put("drafts", project.id, undefined);
  store.put("jobs", project.id, undefined);
  refresh();
}

// A new project: named after the prompt, which its page then sends as its first turn.
async function create(prompt) {
  const buttons = [$("create"), $("create-empty")];
  for (const b of buttons) b.disabled = true;
  try {
    const project = await call("POST", api.projects, { name: nameFrom(prompt) });
    if (prompt) store.put("starts", project.id, prompt);
    store.put("drafts", "new", undefined);
    $("new-prompt").value = "";
    navigate(`/p/${encodeURIComponent(project.id)}`);
  } catch (err) {
    notify(err);
  } finally {
    for (const b of buttons) b.disabled = false;
  }
}

function wire() {
  if (wired) return;
  wired = true;
  const prompt = $("new-prompt");
  $("create-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = prompt.value.trim();
    if (!text) {
      notify("Describe the site first, or start an empty project.");
      prompt.focus();
      return;
    }
    create(text);
  });
  $("create-empty").addEventListener("click", () => create(""));
  prompt.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $("create-form").requestSubmit();
    }
  });
  prompt.addEventListener("input", () => store.put("drafts", "new", prompt.value || undefined));
}

export const home = {
  show() {
    wire();
    controller = new AbortController();
    document.title = "Paynto studio";
    $("sign-in").hidden = true;
    $("home").hidden = false;
    const draft = store.get("drafts", "new");
    if (typeof draft === "string" && !$("new-prompt").value) $("new-prompt").value = draft;
    refresh();
    // Building badges and "changed … ago" stay current while the page is open.
    const timer = setInterval(refresh, 15_000);
    controller.signal.addEventListener("abort", () => clearInterval(timer));
  },
  hide() {
    controller?.abort();
    $("home").hidden = true;
    notify(null);
  },
};
