// What a failed request means to the person using the studio, in plain words, and what they
// can do next. Pure: no DOM, so node tests it; the views turn `action` into a button or link.

/**
 * @typedef {object} Action
 * @property {string} label the button's text
 * @property {"sign-in"|"costs"|"home"|"retry"|"reload"} kind what the view does on a click
 */

/**
 * @typedef {object} Explanation
 * @property {string} text one or two sentences for the page
 * @property {Action|null} action the next step to offer, if a button helps
 * @property {number|null} retryAfter seconds to wait before trying again (a 429's Retry-After),
 *   for a countdown
 */

const DETAIL_LIMIT = 240;

/**
 * Explain an error from the gateway.
 *
 * @param {{status?: number, detail?: unknown, message?: string, retryAfter?: number,
 *   network?: boolean} | Error | null | undefined} err an HTTP error (http.js's HttpError, or
 *   any `{status, detail, retryAfter}`), `{network: true}`, or what `fetch` threw when the
 *   gateway could not be reached (a TypeError)
 * @param {string} [what] the thing a 404 is about; "project" (the default) sends the person
 *   back to the projects list, anything else ("version", "plan") names it instead
 * @returns {Explanation}
 */
export function explain(err, what = "project") {
  const status = err && typeof err.status === "number" ? err.status : 0;
  if (!status) {
    if (err && (err.network || err.name === "TypeError")) {
      return result("Can't reach Paynto; retrying…", retry("Retry now"));
    }
    const message = err && typeof err.message === "string" ? err.message : "";
    return result(withDetail("Something went wrong in the page", message) + " Reload to try again.",
                  { label: "Reload", kind: "reload" });
  }
  const detail = detailOf(err);
  const wait = seconds(err.retryAfter);
  switch (status) {
    case 401:
      return result("You are signed out. Sign in to go on.", { label: "Sign in", kind: "sign-in" });
    case 402:
      return result("The model budget is spent. See the costs, or try again when it is raised.",
                    { label: "See costs", kind: "costs" });
    case 404:
      if (what === "project") {
        return result("This project doesn't exist or isn't yours.",
                      { label: "Back to projects", kind: "home" });
      }
      return result(withDetail(`This ${what} doesn't exist (any more)`, detail) +
                    " Reload to see what there is now.", { label: "Reload", kind: "reload" });
    case 409:
      return result("That had already finished. Refresh to see how it ended.",
                    { label: "Refresh", kind: "reload" });
    case 413:
      return result(withDetail("That is too large", detail) + " Make it shorter and try again.",
                    null);
    case 422: {
      const problem = fields(err).trim().replace(/[.\s]+$/, "");
      return result(problem ? `${clip(problem)}. Correct it and try again.`
                            : "Please check what you entered and try again.", null);
    }
    case 429:
      return {
        text: wait
          ? `Too many requests: try again in ${wait} s.`
          : "Too many requests: wait a moment and try again.",
        action: retry("Try again"),
        retryAfter: wait,
      };
    case 503:
      return { text: "No generator is running; is `make run` still up?",
               action: retry("Try again"), retryAfter: wait };
    default:
      if (status >= 500 || status === 408) {
        const what = withDetail("Something went wrong on the server", detail || `error ${status}`);
        return result(`${what} Try again in a moment.`, retry("Try again"));
      }
      // Any other refusal (400, 403…): the server's own words are the most precise.
      return result(withDetail(`The request was refused (${status})`, detail), null);
  }
}

function result(text, action) {
  return { text, action, retryAfter: null };
}

function retry(label) {
  return { label, kind: "retry" };
}

// "Text: detail." or "Text." when there is no detail.
function withDetail(text, detail) {
  const clean = String(detail || "").trim().replace(/[.\s]+$/, "");
  return clean ? `${text}: ${clip(clean)}.` : `${text}.`;
}

function clip(text) {
  return text.length > DETAIL_LIMIT ? text.slice(0, DETAIL_LIMIT - 1) + "…" : text;
}

function seconds(value) {
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? Math.ceil(n) : null;
}

// The server's explanation: its `detail` (a string, or FastAPI's list of field errors), else
// the error's message without http.js's "404: " prefix.
function detailOf(err) {
  const { detail } = err;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) return fieldText(detail);
  if (detail && typeof detail === "object") {
    if (typeof detail.message === "string") return detail.message;
    if (typeof detail.detail === "string") return detail.detail;
  }
  const message = typeof err.message === "string" ? err.message : "";
  return message.replace(/^\d{3}:\s*/, "");
}

// A 422's fields and messages: "prompt: String should have at least 1 character".
function fields(err) {
  return Array.isArray(err.detail) ? fieldText(err.detail) : detailOf(err);
}

function fieldText(items) {
  return items.map((item) => {
    if (!item || typeof item !== "object") return String(item);
    // loc is ["body", "prompt"] or ["query", "limit"]: where it came from is no help here.
    const loc = Array.isArray(item.loc)
      ? item.loc.filter((part) => !["body", "query", "path", "header"].includes(part)).join(".")
      : "";
    const msg = typeof item.msg === "string" ? item.msg : JSON.stringify(item);
    return loc ? `${loc}: ${msg}` : msg;
  }).join("; ");
}
