// ship-words.js: publishes, deploys, git links and pushes in plain words; which links may be
// followed.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  bytes, deployState, gitStatus, movedBranch, movedNotice, providerName, publishOutcome,
  publishState, pushesByVersion, remoteProblem, safeUrl, shortSha,
} from "../../src/gateway/static/js/lib/ship-words.js";

const BASE = "http://studio.test/p/abc";

test("a commit is quoted by its first seven characters", () => {
  assert.equal(shortSha("0123456789abcdef0123456789abcdef01234567"), "0123456");
  assert.equal(shortSha(null), "");
  assert.equal(shortSha(42), "");
});

test("a publish's state: building, ready, failed with the first line of why", () => {
  assert.equal(publishState({ status: "building" }), "building…");
  assert.equal(publishState({ status: "ready", error: null }), "ready");
  assert.equal(publishState({ status: "failed", error: "vite build failed\nsrc/App.jsx:3" }),
               "failed: vite build failed");
  assert.equal(publishState({ status: "failed", error: null }), "failed");
  assert.equal(publishState({ status: "queued" }), "queued");
  assert.equal(publishState(null), "unknown");
});

test("a deploy names its provider and says how it went", () => {
  assert.equal(providerName("vercel"), "Vercel");
  assert.equal(providerName("netlify"), "Netlify");
  assert.equal(providerName("elsewhere"), "elsewhere");
  assert.equal(deployState({ provider: "vercel", status: "deploying" }), "Vercel: deploying…");
  assert.equal(deployState({ provider: "netlify", status: "ready", url: "x" }), "Netlify: ready");
  assert.equal(deployState({ provider: "vercel", status: "failed", error: "token expired" }),
               "Vercel: failed: token expired");
  assert.equal(deployState({ provider: "vercel", status: "failed" }), "Vercel: failed");
});

test("a publish job's end: live with its size, or the build failed and nothing changed", () => {
  assert.equal(publishOutcome({ ok: true, version: 3, files: 4, bytes: 52_300 }),
               "Version 3 is live (4 files, 52 kB).");
  assert.equal(publishOutcome({ ok: true, version: 1, files: 1, bytes: 900 }),
               "Version 1 is live (1 file, 900 B).");
  assert.equal(publishOutcome({ ok: true, version: 2 }), "Version 2 is live.");
  const failed = publishOutcome({ ok: false, version: 5, output: "error" });
  assert.ok(failed.startsWith("Version 5 did not build, so nothing changed online."), failed);
  assert.ok(failed.includes("publish again"), failed);
});

test("sizes in B, kB and MB", () => {
  assert.equal(bytes(0), "0 B");
  assert.equal(bytes(999), "999 B");
  assert.equal(bytes(1500), "1.5 kB");
  assert.equal(bytes(123_456), "123 kB");
  assert.equal(bytes(2_500_000), "2.5 MB");
  assert.equal(bytes(NaN), "0 B");
});

const pushes = [
  { version: 3, commit: "c3".padEnd(40, "3"), branch: "paynto/v3", moved: true },
  { version: 2, commit: "c2".padEnd(40, "2"), branch: "main", moved: false },
  { version: 2, commit: "old".padEnd(40, "0"), branch: "main", moved: false },
];

test("a git link's status in words, with the next step when one is needed", () => {
  assert.equal(gitStatus({ status: "synced", pushed_version: 4 }),
               "Up to date: version 4 is on the remote.");
  assert.match(gitStatus({ status: "linked" }), /^Linked\./);
  const moved = gitStatus({ status: "moved", branch: "paynto/v3", pushes });
  assert.match(moved, /new branch, paynto\/v3, instead/);
  assert.match(moved, /Nothing was overwritten/);
  assert.equal(gitStatus({ status: "failed", error: "the remote refused the token." }),
               "The last push failed: the remote refused the token. Check the address and " +
               "the token, then press Sync now.");
  assert.match(gitStatus({ status: "failed", error: null }), /^The last push failed\. Check/);
});

test("the branch a moved push went to: the newest that moved, else the link's", () => {
  assert.equal(movedBranch({ branch: "main", pushes }), "paynto/v3");
  assert.equal(movedBranch({ branch: "paynto/x", pushes: [] }), "paynto/x");
  assert.equal(movedBranch(null), "");
});

test("the notice of a moved push names the version and the branch", () => {
  assert.equal(movedNotice({ version: 7, commit: "abc", branch: "paynto/v7", moved: true }),
               "The remote's branch had moved on since Paynto last pushed, so version 7 went " +
               "to the branch paynto/v7 instead. Nothing was overwritten.");
});

test("the newest push of each version, none without a commit", () => {
  const found = pushesByVersion([...pushes, { version: 1, commit: "" }, { version: "x" }, null]);
  assert.deepEqual([...found.keys()], [3, 2]);
  assert.equal(found.get(2).commit, pushes[1].commit);
  assert.equal(pushesByVersion(undefined).size, 0);
});

test("only http(s) links are followed; relative ones resolve against the page", () => {
  assert.equal(safeUrl("/sites/cafe-x2/", BASE), "http://studio.test/sites/cafe-x2/");
  assert.equal(safeUrl("HTTPS://Example.com/a", BASE), "https" + "://example.com/a");
  assert.equal(safeUrl("javascript:alert(1)", BASE), null);
  assert.equal(safeUrl("data:text/html,hi", BASE), null);
  assert.equal(safeUrl("", BASE), null);
  assert.equal(safeUrl(null, BASE), null);
});

test("a remote address is checked before it is sent", () => {
  assert.equal(remoteProblem("https" + "://git.example/me/site.git"), "");
  assert.equal(remoteProblem(" http" + "://127.0.0.1:3000/me/site.git "), "");
  assert.match(remoteProblem("git@github.com:me/site.git"), /whole address/);
  assert.match(remoteProblem("ssh://git@github.com/me/site.git"), /HTTPS address/);
  assert.match(remoteProblem("https" + "://me:secret@git.example/site.git"), /token out/);
  assert.match(remoteProblem(""), /whole address/);
});
