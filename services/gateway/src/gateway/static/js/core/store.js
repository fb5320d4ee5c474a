// What this browser remembers, for one user: per project, the draft prompt, the job being
// followed, the problems list and the model picked; and the colour theme. A reload or a closed
// tab loses none of it.

const KEY = "paynto.studio";

export function load() {
  try { return JSON.parse(localStorage.getItem(KEY)) || {}; } catch { return {}; }
}

function write(next) {
  try { localStorage.setItem(KEY, JSON.stringify(next)); } catch { /* private mode, full */ }
  return next;
}

export function save(patch) {
  return write(Object.assign(load(), patch));
}

// Everything, e.g. on signing out: the next person on this browser starts afresh.
export function forget() {
  try { localStorage.removeItem(KEY); } catch { /* nothing stored */ }
}

// One project's entry of `field` ("drafts", "jobs", "problems", "models").
export function get(field, projectId) {
  const table = load()[field];
  return table && typeof table === "object" ? table[projectId] : undefined;
}

// Sets (or with `undefined`, removes) one project's entry of `field`.
export function put(field, projectId, value) {
  const all = load();
  const table = all[field] && typeof all[field] === "object" ? { ...all[field] } : {};
  if (value === undefined) delete table[projectId];
  else table[projectId] = value;
  all[field] = table;
  return write(all);
}

// What this browser remembers is one user's: another user signing in on it starts afresh.
export function adopt(userId) {
  if (!userId) return;
  const owner = load().user;
  if (owner && owner !== userId) forget();
  save({ user: userId });
}
