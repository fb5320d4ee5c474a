// diff-view.js: the diff endpoint's hunks as numbered rows.
import assert from "node:assert/strict";
import { test } from "node:test";

import { diffRows, hunkHeader } from "../../src/gateway/static/js/lib/diff-view.js";

test("a changed file: hunk headers, then context, removed and added lines, numbered", () => {
  const rows = diffRows({
    path: "src/App.jsx", status: "changed", additions: 2, deletions: 1, too_large: false,
    hunks: [
      { old_start: 3, old_lines: 4, new_start: 3, new_lines: 5,
        lines: [" a", " b", "-old", "+new", "+more", " c"] },
      { old_start: 20, old_lines: 1, new_start: 21, new_lines: 1, lines: ["-x", "+y"] },
    ],
  });
  assert.deepEqual(rows, [
    { kind: "hunk", oldNo: null, newNo: null, text: "@@ -3,4 +3,5 @@" },
    { kind: "ctx", oldNo: 3, newNo: 3, text: "a" },
    { kind: "ctx", oldNo: 4, newNo: 4, text: "b" },
    { kind: "del", oldNo: 5, newNo: null, text: "old" },
    { kind: "add", oldNo: null, newNo: 5, text: "new" },
    { kind: "add", oldNo: null, newNo: 6, text: "more" },
    { kind: "ctx", oldNo: 6, newNo: 7, text: "c" },
    { kind: "hunk", oldNo: null, newNo: null, text: "@@ -20,1 +21,1 @@" },
    { kind: "del", oldNo: 20, newNo: null, text: "x" },
    { kind: "add", oldNo: null, newNo: 21, text: "y" },
  ]);
});

test("an added file counts from line 1 on the new side only", () => {
  const rows = diffRows({
    path: "src/New.jsx", status: "added", additions: 2, deletions: 0,
    hunks: [{ old_start: 0, old_lines: 0, new_start: 1, new_lines: 2, lines: ["+one", "+"] }],
  });
  assert.deepEqual(rows, [
    { kind: "hunk", oldNo: null, newNo: null, text: "@@ -0,0 +1,2 @@" },
    { kind: "add", oldNo: null, newNo: 1, text: "one" },
    { kind: "add", oldNo: null, newNo: 2, text: "" },
  ]);
});

test("a removed file counts on the old side only", () => {
  const rows = diffRows({
    path: "src/Old.jsx", status: "removed", additions: 0, deletions: 2,
    hunks: [{ old_start: 1, old_lines: 2, new_start: 0, new_lines: 0, lines: ["-a", "-b"] }],
  });
  assert.deepEqual(rows.map((r) => [r.kind, r.oldNo, r.newNo]),
                   [["hunk", null, null], ["del", 1, null], ["del", 2, null]]);
});

test("the no-newline marker is a note on the line before, not a row", () => {
  const rows = diffRows({
    path: "a.txt", status: "changed", additions: 1, deletions: 1,
    hunks: [{ old_start: 1, old_lines: 1, new_start: 1, new_lines: 1,
              lines: ["-x", "\\ No newline at end of file", "+x"] }],
  });
  assert.deepEqual(rows, [
    { kind: "hunk", oldNo: null, newNo: null, text: "@@ -1,1 +1,1 @@" },
    { kind: "del", oldNo: 1, newNo: null, text: "x", noNewline: true },
    { kind: "add", oldNo: null, newNo: 1, text: "x" },
  ]);
});

test("a context line that lost its space is still context; text is never trimmed", () => {
  const rows = diffRows({
    path: "a", status: "changed", additions: 1, deletions: 0,
    hunks: [{ old_start: 7, old_lines: 2, new_start: 7, new_lines: 3,
              lines: ["", "   indented  ", "+\tz"] }],
  });
  assert.deepEqual(rows.slice(1), [
    { kind: "ctx", oldNo: 7, newNo: 7, text: "" },
    { kind: "ctx", oldNo: 8, newNo: 8, text: "  indented  " },
    { kind: "add", oldNo: null, newNo: 9, text: "\tz" },
  ]);
});

test("a file too large to diff, or one without hunks, gives no rows", () => {
  assert.deepEqual(diffRows({ path: "big.json", status: "changed", additions: 0, deletions: 0,
                              too_large: true, hunks: [] }), []);
  assert.deepEqual(diffRows({ path: "x", status: "added", too_large: true }), []);
  assert.deepEqual(diffRows(null), []);
});

test("hunkHeader always writes both counts", () => {
  assert.equal(hunkHeader({ old_start: 1, old_lines: 1, new_start: 1, new_lines: 0 }),
               "@@ -1,1 +1,0 @@");
});
