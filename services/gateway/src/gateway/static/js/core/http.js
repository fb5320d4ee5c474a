// Talking to the gateway: JSON requests, the errors they answer, and every API URL the studio
// uses (the only file that writes them).

export class HttpError extends Error {
  constructor(status, message, detail, retryAfter) {
    super(message);
    this.status = status;
    this.detail = detail;
    this.retryAfter = retryAfter;
  }
  // 408/429/5xx may pass; any other 4xx will answer the same next time.
  get retryable() { return this.status === 408 || this.status === 429 || this.status >= 500; }
}

// FastAPI's 422 list ([{loc: ["body", "prompt"], msg}]) or its string detail, as one text.
export function detailText(detail) {
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail.map((d) => {
      const where = d && Array.isArray(d.loc)
        ? d.loc.filter((p) => p !== "body" && p !== "query").join(".") : "";
      return (where ? where + ": " : "") + ((d && d.msg) || JSON.stringify(d));
    }).join("\n");
  }
  return detail === undefined ? "" : JSON.stringify(detail);
}

export async function errorFrom(response) {
  let text = "";
  try { text = await response.text(); } catch { /* body lost with the connection */ }
  let detail = text.trim().slice(0, 300) || response.statusText || "request failed";
  try {
    const parsed = JSON.parse(text).detail;
    if (parsed !== undefined) detail = parsed;
  } catch { /* not JSON: keep the text */ }
  const retryAfter = Number(response.headers.get("Retry-After")) || 0;
  return new HttpError(response.status, detailText(detail), detail, retryAfter);
}

// A JSON request answered with its Response (for streams); without a body (a DELETE) none is
// sent.
export function send(method, url, body, { accept = "application/json", signal } = {}) {
  const headers = { "Accept": accept };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  return fetch(url, { method, headers, signal, cache: "no-store",
                      body: body === undefined ? undefined : JSON.stringify(body) });
}

// A JSON request answered with JSON (null for 204); throws HttpError on a non-2xx answer.
export async function call(method, url, body, options) {
  const response = await send(method, url, body, options);
  if (!response.ok) throw await errorFrom(response);
  return response.status === 204 ? null : response.json();
}

export const getJson = (url, options) => call("GET", url, undefined, options);

const at = (id) => encodeURIComponent(id);
const project = (id) => `/api/projects/${at(id)}`;

// Every endpoint the studio calls.
export const api = {
  me: "/api/auth/me",
  logout: "/api/auth/logout",
  models: "/api/models",
  projects: "/api/projects",
  project,
  files: (id) => `${project(id)}/files`,
  usage: (id) => `${project(id)}/usage`,
  turns: (id, query = "") => `${project(id)}/jobs${query}`,
  channel: (id) => `${project(id)}/events`,
  plans: (id) => `${project(id)}/plans`,
  versions: (id) => `${project(id)}/versions`,
  diff: (id, n) => `${project(id)}/versions/${at(n)}/diff`,
  restore: (id, n) => `${project(id)}/versions/${at(n)}/restore`,
  fork: (id) => `${project(id)}/fork`,
  zip: (id, n) => `${project(id)}/zip${n ? `?version=${at(n)}` : ""}`,
  sandboxStatus: (id) => `/api/sandbox-status?project_id=${at(id)}`,
  restartVite: "/api/restart-vite",
  generate: "/api/generate-ai-code-stream",
  planBuild: "/api/plan-build",
  scrape: "/api/scrape-website",
  clone: "/api/clone",
  job: (id) => `/api/jobs/${at(id)}`,
  jobEvents: (id) => `/api/jobs/${at(id)}/events`,
  cancelJob: (id) => `/api/jobs/${at(id)}/cancel`,
  plan: (id) => `/api/plans/${at(id)}`,
  planEvents: (id) => `/api/plans/${at(id)}/events`,
  planAction: (id, action) => `/api/plans/${at(id)}/${action}`,
  tickets: (id) => `/api/plans/${at(id)}/tickets`,
  ticket: (id, key) => `/api/plans/${at(id)}/tickets/${at(key)}`,
  retryTicket: (id, key) => `/api/plans/${at(id)}/tickets/${at(key)}/retry`,
  batches: "/api/batches",
  batch: (id) => `/api/batches/${at(id)}`,
  batchEvents: (id) => `/api/batches/${at(id)}/events`,
  batchAction: (id, action) => `/api/batches/${at(id)}/${action}`,
  batchReport: (id, format = "csv") => `/api/batches/${at(id)}/report?format=${at(format)}`,
  // Shipping a project: publishing, its git remote, GitHub.
  publish: (id) => `${project(id)}/publish`,
  rollback: (id) => `${project(id)}/publish/rollback`,
  deployTokens: "/api/account/deploy-tokens",
  deployToken: (provider) => `/api/account/deploy-tokens/${at(provider)}`,
  git: (id) => `${project(id)}/git`,
  gitSync: (id) => `${project(id)}/git/sync`,
  github: "/api/github",
  githubToken: "/api/github/token",
  githubRepos: (page = 1) => `/api/github/repos?page=${at(page)}`,
  githubNewRepo: "/api/github/repos",
  githubCommit: "/api/github/commit",
  githubImport: "/api/github/import",
  githubSignIn: (next) => `/api/auth/github/login?next=${encodeURIComponent(next)}`,
};
