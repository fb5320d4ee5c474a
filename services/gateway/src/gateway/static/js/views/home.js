// The projects home ("/"): describe a new site, clone one or import one from GitHub, or come
// back to one; rename and delete.

import { $, button, make, plural, str, timeAgo } from "../core/dom.js";
import { ask } from "../core/dialog.js";
import { HttpError, api, call, getJson } from "../core/http.js";
import { navigate } from "../core/router.js";
import { errorText, notify } from "../core/status.js";
import * as store from "../core/store.js";
import { hostOf, palette, screenshot } from "../panels/scraped.js";

let controller = null;
let wired = false;

// A project's name from the first words of its prompt.
export function nameFrom(prompt) {
  return prompt.trim().split(/\s+/).slice(0, 6).join(" ").slice(0, 60) || "Untitled site";
}

function card(project) {
  const item = make("li", "project-card");
  item.dataset.id = project.id;
  // A colour of its own from its id; a clone shows its site's screenshot instead.
  let hash = 0;
  for (const ch of str(project.id)) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  item.dataset.hue = String(hash % 8);
  const swatch = make("span", "swatch");
  swatch.setAttribute("aria-hidden", "true");
  const thumb = screenshot(project.thumbnail_url, str(project.name), "thumb");
  if (thumb) swatch.append(thumb);
  else swatch.textContent = (str(project.name).trim()[0] || "?").toUpperCase();
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

// A new project from a GitHub repository's files, read with the account's GitHub connection.
async function importRepo(e) {
  e.preventDefault();
  const form = $("import-form");
  if (!form.reportValidity()) return;
  const body = { repo: $("import-repo").value.trim() };
  const ref = $("import-ref").value.trim();
  if (ref) body.ref = ref;
  const line = $("import-status");
  $("import-start").disabled = true;
  line.textContent = `Importing ${body.repo}…`;
  line.dataset.kind = "busy";
  try {
    const project = await call("POST", api.githubImport, body, { signal: controller.signal });
    form.reset();
    line.textContent = "";
    line.dataset.kind = "";
    navigate(`/p/${encodeURIComponent(project.id)}`);
  } catch (err) {
    if (err.name === "AbortError") return;
    line.textContent = err instanceof HttpError && err.status === 409
      ? "Connect GitHub first: open a project's Ship tab and connect it there."
      : errorText(err);
    line.dataset.kind = "error";
  } finally {
    $("import-start").disabled = false;
  }
}

// --- clone a site ------------------------------------------------------------------------------

// The clone form's own line: "busy" while reading, "error" with what went wrong, "" cleared.
function cloneStatus(text, kind = "") {
  const line = $("clone-status");
  line.textContent = text;
  line.dataset.kind = kind;
}

// Why a site could not be looked at: the gateway's own words when the site or its address was
// the trouble (403 robots.txt, 422 an address that may not be read, 502 the site failed, 503 no
// scraper or no screenshot), else the studio's usual account (signed out, too many requests).
function lookError(err) {
  if (err instanceof HttpError && [403, 422, 502, 503].includes(err.status) && err.message) {
    return err.message;
  }
  return errorText(err);
}

// The card of a site read: its title and address, palette, fonts and screenshot.
function showSite(site) {
  const address = str(site.final_url) || str(site.url);
  const title = str(site.title) || hostOf(address);
  const brand = site.branding && typeof site.branding === "object" ? site.branding : {};
  const shot = screenshot(site.screenshot, title, "site-shot");
  const facts = make("dl", "site-facts");
  const colours = Array.isArray(brand.colors) ? brand.colors : [];
  if (colours.length) {
    const swatches = make("dd");
    swatches.append(palette(colours, `Colours of ${title}`));
    facts.append(make("dt", "", "Colours"), swatches);
  }
  const fonts = Array.isArray(brand.fonts) ? brand.fonts.map(str).filter(Boolean) : [];
  if (fonts.length) facts.append(make("dt", "", "Fonts"), make("dd", "fonts", fonts.join(", ")));
  const parts = [make("h3", "site-title", title), make("p", "site-url", address)];
  if (str(site.description)) parts.push(make("p", "site-description", site.description));
  if (facts.childElementCount) parts.push(facts);
  parts.push(shot || make("p", "shot-note",
                          str(site.screenshot_note) || "No screenshot was taken."));
  $("clone-card").replaceChildren(...parts);
  $("clone-card").hidden = false;
}

function hideSite() {
  $("clone-card").hidden = true;
  $("clone-card").replaceChildren();
}

// Look: read the site now (with a screenshot) and show what was read.
async function look() {
  const input = $("clone-url");
  const url = input.value.trim();
  const b = $("clone-look");
  b.disabled = true;
  hideSite();
  cloneStatus("Reading the site…", "busy");
  try {
    const site = await call("POST", api.scrape, { url, screenshot: true },
                            { signal: controller.signal });
    // Typed on meanwhile: the card would show another site than the field.
    if (input.value.trim() === url) showSite(site);
    cloneStatus("", "");
  } catch (err) {
    if (err.name === "AbortError") return;
    cloneStatus(lookError(err), "error");
    // Signed out: the page's notice offers to sign in.
    if (err instanceof HttpError && err.status === 401) notify(err);
  } finally {
    b.disabled = false;
  }
}

// Clone: a new project named after the site, whose page starts the clone as its first turn.
async function cloneSite() {
  const input = $("clone-url");
  if (!input.reportValidity()) return;
  const url = input.value.trim();
  const pages = Number($("clone-pages").value) || 1;
  const prompt = $("clone-wishes").value.trim();
  $("clone").disabled = true;
  try {
    const name = `Clone of ${hostOf(url)}`.slice(0, 200);
    const project = await call("POST", api.projects, { name });
    store.put("starts", project.id, { kind: "clone", url, pages, prompt });
    $("clone-form").reset();
    hideSite();
    cloneStatus("", "");
    navigate(`/p/${encodeURIComponent(project.id)}`);
  } catch (err) {
    notify(err);
  } finally {
    $("clone").disabled = false;
  }
}

function wire() {
  if (wired) return;
  wired = true;
  $("clone-form").addEventListener("submit", (e) => {
    e.preventDefault();
    look();
  });
  $("clone").addEventListener("click", cloneSite);
  $("import-form").addEventListener("submit", importRepo);
  // The card is of the address looked at: another address makes it stale.
  $("clone-url").addEventListener("input", () => {
    hideSite();
    cloneStatus("", "");
  });
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
