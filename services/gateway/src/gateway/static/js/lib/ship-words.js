// The Ship tab's words: a publish, a deploy, a git link and a push said plainly, and which
// links from the server may be followed. Pure (no DOM), so node tests it.

const PROVIDERS = { vercel: "Vercel", netlify: "Netlify" };

const text = (value) => (typeof value === "string" ? value : "");

// "Vercel", "Netlify", or the name as it came.
export function providerName(provider) {
  return PROVIDERS[provider] || text(provider);
}

// A commit as people quote it: its first seven characters.
export function shortSha(commit) {
  return text(commit).slice(0, 7);
}

// One sentence without a doubled full stop at its end.
function sentence(words) {
  const clean = words.trim().replace(/[.\s]+$/, "");
  return clean ? `${clean}.` : "";
}

// A publish's state in a few words: "building…", "ready", "failed: <why>".
export function publishState(publish) {
  const status = text(publish && publish.status);
  if (status === "building") return "building…";
  if (status === "ready") return "ready";
  if (status === "failed") {
    const why = text(publish.error).trim().split("\n")[0];
    return why ? `failed: ${why}` : "failed";
  }
  return status || "unknown";
}

// A deploy to Vercel or Netlify in a few words: "Vercel: ready", "Netlify: failed: <why>".
export function deployState(deploy) {
  const name = providerName(deploy && deploy.provider) || "Deploy";
  const status = text(deploy && deploy.status);
  if (status === "deploying") return `${name}: deploying…`;
  if (status === "failed") {
    const why = text(deploy.error).trim();
    return `${name}: failed${why ? `: ${why}` : ""}`;
  }
  return `${name}: ${status || "unknown"}`;
}

// What a publish job's end says: live at its URL, or the build's failure (its output is shown
// apart, in full).
export function publishOutcome(data) {
  const version = Number(data && data.version) || 0;
  const which = version ? `Version ${version}` : "The site";
  if (data && data.ok) {
    const files = Number(data.files) || 0;
    const size = files ? ` (${files} file${files === 1 ? "" : "s"}, ${bytes(Number(data.bytes) || 0)})` : "";
    return `${which} is live${size}.`;
  }
  return `${which} did not build, so nothing changed online. The build's errors are below: ` +
         "fix them (or ask the model to), then publish again.";
}

// A size in B, kB or MB.
export function bytes(n) {
  if (!Number.isFinite(n) || n < 1000) return `${Math.max(0, Math.round(n || 0))} B`;
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)} kB`;
  return `${(n / 1_000_000).toFixed(1)} MB`;
}

// The branch a moved push went to: the newest push that moved, else the link's branch.
export function movedBranch(link) {
  const pushes = Array.isArray(link && link.pushes) ? link.pushes : [];
  const moved = pushes.find((p) => p && p.moved);
  return text(moved && moved.branch) || text(link && link.branch);
}

// A git link's status as the person reads it, with a next step when one is needed.
export function gitStatus(link) {
  const status = text(link && link.status);
  const version = Number(link && link.pushed_version) || 0;
  switch (status) {
    case "linked":
      return "Linked. The versions not on the remote yet are on their way.";
    case "synced":
      return version ? `Up to date: version ${version} is on the remote.` : "Up to date.";
    case "moved":
      return `The remote's branch had moved on, so Paynto pushed to a new branch, ` +
             `${movedBranch(link)}, instead. Nothing was overwritten: merge it on the remote ` +
             "when you are ready.";
    case "failed": {
      const why = sentence(text(link.error));
      return `The last push failed${why ? `: ${why}` : "."} Check the address and the token, ` +
             "then press Sync now.";
    }
    default:
      return status || "Unknown.";
  }
}

// The page notice for a `git_sync` event whose branch had moved.
export function movedNotice(event) {
  const version = Number(event && event.version) || 0;
  return `The remote's branch had moved on since Paynto last pushed, so ` +
         `${version ? `version ${version}` : "the new version"} went to the branch ` +
         `${text(event && event.branch) || "a new branch"} instead. Nothing was overwritten.`;
}

// The newest push of each version: version → {commit, branch, moved}.
export function pushesByVersion(pushes) {
  const found = new Map();
  for (const push of Array.isArray(pushes) ? pushes : []) {
    const version = Number(push && push.version);
    if (!Number.isInteger(version) || version < 1 || !text(push.commit)) continue;
    if (!found.has(version)) found.set(version, push);
  }
  return found;
}

// `url` resolved against `base` when it is an http(s) address, else null: a `javascript:` or
// `data:` link from a confused server must not become clickable.
export function safeUrl(url, base) {
  if (!text(url)) return null;
  let resolved;
  try { resolved = new URL(url, base); } catch { return null; }
  return resolved.protocol === "http:" || resolved.protocol === "https:" ? resolved.href : null;
}

// An address the person typed for a git remote, checked before it is sent: an http(s) URL
// without a name or password in it (the token has its own field). "" when it is fine.
export function remoteProblem(url) {
  let parsed;
  try { parsed = new URL(text(url).trim()); } catch {
    return "Give the remote's whole address, as its clone button shows it.";
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    return "Give the remote's HTTPS address: Paynto pushes over HTTPS, not SSH.";
  }
  if (parsed.username || parsed.password) {
    return "Leave the token out of the address: put it in the token field.";
  }
  return "";
}
