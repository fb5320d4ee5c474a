// Telling the person what is going on: the project's status line, and the page's notice for
// an error that needs them to act (sign in, go back, try again), always in plain words with a
// next step.

import { $ } from "./dom.js";
import { HttpError } from "./http.js";
import { explain } from "./errors.js";

// What went wrong, as the error module words it; a non-HTTP failure is a network one.
export function describe(err) {
  if (typeof err === "string") return { text: err, action: null, retryAfter: null };
  if (err instanceof HttpError) {
    return explain({ status: err.status, detail: err.detail, retryAfter: err.retryAfter });
  }
  if (err && err.name === "AbortError") return { text: "", action: null, retryAfter: null };
  return explain({ network: true });
}

// What went wrong in one line: our API's own words for a request it refused as asked (400,
// 409, 413, 422 name the field or the conflict), else the plain-words account.
export function errorText(err) {
  if (err instanceof HttpError && [400, 409, 413, 422].includes(err.status) && err.message) {
    return err.message;
  }
  return describe(err).text;
}

let countdown = null;

// The status line: kind "" | "busy" | "ok" | "warn" | "error". An error (an Error or text)
// is worded by `describe`; a 429 counts its Retry-After down.
export function setStatus(what, kind = "") {
  const status = $("status");
  clearInterval(countdown);
  const { text: worded, action, retryAfter } = kind === "error" || typeof what !== "string"
    ? describe(what) : { text: what, action: null, retryAfter: null };
  const text = typeof what === "string" ? worded : errorText(what);
  status.textContent = text;
  status.dataset.kind = kind;
  if (retryAfter) {
    let left = Math.ceil(retryAfter);
    countdown = setInterval(() => {
      left -= 1;
      if (left <= 0) {
        clearInterval(countdown);
        status.textContent = "You can try again now.";
        status.dataset.kind = "";
        return;
      }
      status.textContent = text.replace(/\d+ s\b/, `${left} s`);
    }, 1000);
  }
  // Signed out, out of budget, or gone: the page's notice offers the way on.
  if (action && ["sign-in", "costs", "home"].includes(action.kind)) notify(what);
}

const ACTIONS = {
  "sign-in": () => { location.href = `/api/auth/github/login?next=${encodeURIComponent(location.pathname)}`; },
  home: () => { location.href = "/"; },
  costs: () => { $("usage").scrollIntoView({ block: "center" }); },
  retry: () => location.reload(),
  reload: () => location.reload(),
};

// The notice above the page, for an error the person must act on; null hides it.
export function notify(err) {
  const box = $("notice");
  if (!err) { box.hidden = true; return; }
  const { text, action } = describe(err);
  if (!text) return;
  $("notice-text").textContent = text;
  const act = $("notice-action");
  act.hidden = !action;
  if (action) {
    act.textContent = action.label;
    act.onclick = ACTIONS[action.kind] || null;
  }
  box.hidden = false;
}

export function wireNotice() {
  $("notice-close").addEventListener("click", () => notify(null));
}
