// A version diff as rows for a two-gutter table. The server does the diffing
// (paynto_common.diffs); this only numbers its hunks' lines. Pure: no DOM, so node tests it.

/**
 * @typedef {object} Hunk
 * @property {number} old_start first old line, 1-based (the line before, 0 at the top, when
 *   `old_lines` is 0, as in a unified diff)
 * @property {number} old_lines
 * @property {number} new_start
 * @property {number} new_lines
 * @property {string[]} lines each line with its mark: " " context, "+" added, "-" removed
 */

/**
 * @typedef {object} Row
 * @property {"hunk"|"ctx"|"add"|"del"} kind
 * @property {number|null} oldNo the line's number in the old file (null for an added line and
 *   for a hunk header)
 * @property {number|null} newNo the line's number in the new file (null for a removed line and
 *   for a hunk header)
 * @property {string} text the line without its mark, or the hunk header "@@ -a,b +c,d @@"
 * @property {boolean} [noNewline] set on a line that ends its file without a line break
 */

/**
 * The rows of one file's diff: a header row per hunk, then its lines, numbered.
 *
 * @param {{path: string, status: string, too_large?: boolean, hunks?: Hunk[]}} fileDiff one
 *   entry of the diff endpoint's `files`
 * @returns {Row[]} no rows when the diff has no hunks (a file too large to diff, or no change)
 */
export function diffRows(fileDiff) {
  const rows = [];
  for (const hunk of (fileDiff && fileDiff.hunks) || []) {
    rows.push({ kind: "hunk", oldNo: null, newNo: null, text: hunkHeader(hunk) });
    // (A side with no lines has no row to number, so its "line before" start never shows.)
    let oldNo = hunk.old_start;
    let newNo = hunk.new_start;
    for (const line of hunk.lines || []) {
      const mark = line[0];
      const text = line.slice(1);
      if (mark === "+") {
        rows.push({ kind: "add", oldNo: null, newNo, text });
        newNo += 1;
      } else if (mark === "-") {
        rows.push({ kind: "del", oldNo, newNo: null, text });
        oldNo += 1;
      } else if (mark === "\\") {
        // "\ No newline at end of file" is a note on the line before, not a line.
        const last = rows[rows.length - 1];
        if (last && last.kind !== "hunk") last.noNewline = true;
      } else {
        // A context line; "" is one too (some tools drop the space of an empty line).
        rows.push({ kind: "ctx", oldNo, newNo, text: mark === " " ? text : line });
        oldNo += 1;
        newNo += 1;
      }
    }
  }
  return rows;
}

/**
 * A hunk's header as in a unified diff, with both counts always written.
 *
 * @param {Hunk} hunk
 * @returns {string} "@@ -a,b +c,d @@"
 */
export function hunkHeader(hunk) {
  return `@@ -${hunk.old_start},${hunk.old_lines} +${hunk.new_start},${hunk.new_lines} @@`;
}
