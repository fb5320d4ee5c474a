// The live preview: the sandbox's page in a frame that keeps its state across edits (HMR),
// with reload, open in a new tab, device widths, and a start button for a stopped sandbox.

import { $ } from "../core/dom.js";
import { api, call } from "../core/http.js";
import { setStatus } from "../core/status.js";
import { projectJson, state } from "./state.js";

export function showPreview(url) {
  if (!url) return;
  let resolved;
  try { resolved = new URL(url, location.href); } catch { return; }
  // Only http(s): a javascript: or data: URL from a confused server must not run here.
  if (resolved.protocol !== "http:" && resolved.protocol !== "https:") return;
  // The same preview under a freshly signed link (AUTH_MODE=required signs each one anew)
  // keeps its page: HMR updates it, and the cookie its first link left lets reloads in.
  const shown = $("preview").getAttribute("src");
  const current = shown ? new URL(shown, location.href) : null;
  if (!current || current.origin + current.pathname !== resolved.origin + resolved.pathname) {
    load(resolved.href);
  }
  $("preview-empty").hidden = true;
  $("start-preview").hidden = true;
  $("reload-preview").hidden = false;
  // The path only: a link's signature is not for showing.
  $("preview-url").textContent = resolved.pathname;
  $("open-preview").href = resolved.href;
  $("open-preview").hidden = false;
}

// Loads `href` in a fresh frame: navigating the old one would add an entry to the page's
// history, and the browser's Back button would then step the preview back, not the studio.
function load(href) {
  const old = $("preview");
  const frame = old.cloneNode(false);
  frame.removeAttribute("src");
  frame.src = href;
  old.replaceWith(frame);
}

export function clearPreview() {
  const old = $("preview");
  const frame = old.cloneNode(false);
  frame.removeAttribute("src");
  old.replaceWith(frame);
  $("preview-empty").hidden = false;
  $("preview-empty").textContent = "Your site will appear here.";
  $("preview-url").textContent = "";
  $("open-preview").hidden = true;
  $("reload-preview").hidden = true;
  $("start-preview").hidden = true;
}

// On opening a project: its running sandbox's preview, or a way to start one.
export async function loadPreview() {
  const sandbox = await projectJson(api.sandboxStatus);
  // None (the next job shows its preview), or a job already showed one.
  if (!sandbox || $("preview").getAttribute("src")) return;
  if (sandbox.status === "running" && sandbox.preview_url) {
    showPreview(sandbox.preview_url);
  } else if (sandbox.status && sandbox.status !== "none") {
    $("preview-empty").textContent = "The preview is stopped. Its files are safe.";
    $("start-preview").hidden = false;
  }
}

async function startPreview() {
  const b = $("start-preview");
  b.disabled = true;
  setStatus("Starting the preview…", "busy");
  try {
    const sandbox = await call("POST", api.restartVite, { project_id: state.projectId });
    showPreview(sandbox.preview_url);
    setStatus("Preview started.", "ok");
  } catch (err) {
    setStatus(err, "error");
  } finally {
    b.disabled = false;
  }
}

function setDevice(device) {
  const box = $("frame-box");
  box.classList.remove("device-desktop", "device-tablet", "device-phone");
  box.classList.add(`device-${device}`);
  for (const b of document.querySelectorAll(".devices button")) {
    b.setAttribute("aria-pressed", String(b.dataset.device === device));
  }
}

export function wirePreview() {
  for (const b of document.querySelectorAll(".devices button")) {
    b.addEventListener("click", () => setDevice(b.dataset.device));
  }
  $("reload-preview").addEventListener("click", () => {
    const src = $("preview").getAttribute("src");
    if (src) load(src);
  });
  $("start-preview").addEventListener("click", startPreview);
}
