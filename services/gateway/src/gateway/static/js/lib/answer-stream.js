// The files a model is writing, read from its answer while it streams: `<file path="...">`
// blocks (whole files) and `<edit path="...">` blocks (search/replace edits), as the server
// parses them (paynto_common.answer and paynto_common.edits). Each delta is scanned from where
// the last one stopped, so a long answer costs linear time, not a re-parse per delta. Pure: no
// DOM, so node tests it.

// Tags are case-sensitive, as on the server: a JSX component named <File> opens no file.
const OPEN = /<(file|edit)\b([^<>]*)>/g;
// Inside a file: its end, another file (the model forgot this one's closing tag), or a
// top-level tag at the start of a line, which also means the file ended unclosed.
const IN_FILE = /<\/file\s*>|<file\b[^<>]*>|\n<(?:packages?|command|explanation)>/g;
const IN_EDIT = /<\/edit\s*>/g;

// Attribute values: double-quoted, single-quoted or bare; files accept several names for the
// path, edits only a quoted path (paynto_common.edits).
const ATTR = /([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/g;
const FILE_PATH_ATTRS = ["path", "filename", "file", "name"];
const EDIT_PATH = /\bpath\s*=\s*(?:"([^"]*)"|'([^']*)')/;

// Any of these may be the start of a tag that the next delta completes.
const TAG_STARTS = ["<file", "<edit", "</file", "</edit", "<packages>", "<package>",
                    "<command>", "<explanation>"];

/**
 * @typedef {object} Block
 * @property {string} path the normalised project path ("src/App.jsx")
 * @property {"file"|"edit"} kind a whole file, or search/replace edits to one
 * @property {string} text the block's content so far (a finished file's text as the server
 *   stores it: one wrapping markdown fence taken off, one final newline)
 * @property {boolean} done no more text will come for it
 * @property {boolean} complete it ended with its own closing tag (false when a file was cut
 *   short by the next tag)
 */

/** Follows a streamed answer and reports the blocks each delta changed. */
export class AnswerStream {
  constructor() {
    this.buffer = "";
    this.pos = 0;  // everything before this offset has been scanned
    // Every block: a Block's fields, plus where its body lies in `buffer` and what was
    // last reported of it.
    this.blocks = [];
    this.open = null;  // the block being written, if any
  }

  /**
   * Add the next piece of the answer.
   *
   * @param {string} delta the text that arrived
   * @returns {Block[]} the blocks that began, grew or ended with this delta, in answer order
   *   (blocks without a usable path are followed but never reported)
   */
  push(delta) {
    this.buffer += String(delta ?? "");
    const changed = new Set();
    for (;;) {
      if (this.open) {
        const block = this.open;
        const pattern = block.kind === "file" ? IN_FILE : IN_EDIT;
        // Step back onto a line break the last delta ended with: "\n<explanation>" needs it.
        const newline = this.pos > block.bodyStart && this.buffer[this.pos - 1] === "\n";
        pattern.lastIndex = newline ? this.pos - 1 : this.pos;
        const m = pattern.exec(this.buffer);
        if (!m) {
          this.pos = this.safeEnd(this.pos);
          if (this.pos > block.bodyEnd) {
            block.bodyEnd = this.pos;
            changed.add(block);
          }
          break;
        }
        const closes = m[0].startsWith("</");
        // A "\n<explanation>" ends the file after its line break.
        const end = m[0].startsWith("\n") ? m.index + 1 : m.index;
        block.bodyEnd = end;
        block.done = true;
        block.complete = closes;
        changed.add(block);
        this.open = null;
        this.pos = closes ? m.index + m[0].length : end;
        continue;
      }
      OPEN.lastIndex = this.pos;
      const m = OPEN.exec(this.buffer);
      if (!m) {
        this.pos = this.safeEnd(this.pos);
        break;
      }
      const kind = m[1];
      const block = {
        path: kind === "file" ? filePath(m[2]) : editPath(m[2]),
        kind, bodyStart: m.index + m[0].length, bodyEnd: m.index + m[0].length,
        done: false, complete: false, text: "", reported: false, reportedDone: false,
      };
      this.blocks.push(block);
      this.open = block;
      this.pos = block.bodyStart;
      changed.add(block);
    }
    const out = [];
    for (const block of changed) {
      const text = bodyText(this.buffer.slice(block.bodyStart, block.bodyEnd), block);
      // A delta that changes nothing shown (a line break hidden for now) is not reported.
      const news = text !== block.text || block.done !== block.reportedDone || !block.reported;
      block.text = text;
      if (block.path && news) {
        block.reported = true;
        block.reportedDone = block.done;
        out.push(view(block));
      }
    }
    return out;
  }

  /**
   * Every block so far, in answer order (a path written twice appears twice).
   *
   * @returns {Block[]}
   */
  files() {
    return this.blocks.filter((b) => b.path).map(view);
  }

  /**
   * The block being written now, if any.
   *
   * @returns {Block|null}
   */
  current() {
    return this.open && this.open.path ? view(this.open) : null;
  }

  // Where scanning may stop: the end of the text, or before a "<" that the next delta may
  // turn into a tag (its text must not show, nor be skipped). A tag holds no other "<", so only
  // the last one after `from` can be such a start; the search goes no further back than `from`,
  // which keeps a long answer linear.
  safeEnd(from) {
    for (let i = this.buffer.length - 1; i >= from; i -= 1) {
      if (this.buffer[i] === "<") {
        return mayBecomeTag(this.buffer.slice(i)) ? i : this.buffer.length;
      }
    }
    return this.buffer.length;
  }
}

function view(block) {
  return { path: block.path, kind: block.kind, text: block.text, done: block.done,
           complete: block.complete };
}

function mayBecomeTag(tail) {
  // An opening tag with some of its attributes: "<file path=\"src/A".
  if (/^<(?:file|edit)(?!\w)[^<>]*$/.test(tail)) return true;
  // "</file  " may still get its ">".
  if (/^<\/(?:file|edit)\s*$/.test(tail)) return true;
  return TAG_STARTS.some((t) => t.startsWith(tail));
}

function filePath(attrs) {
  const found = {};
  ATTR.lastIndex = 0;
  for (let m = ATTR.exec(attrs); m; m = ATTR.exec(attrs)) {
    const key = m[1].toLowerCase();
    if (!(key in found)) found[key] = m[2] ?? m[3] ?? m[4] ?? "";
  }
  const key = FILE_PATH_ATTRS.find((k) => k in found);
  return key === undefined ? "" : normalizePath(found[key]);
}

function editPath(attrs) {
  const m = EDIT_PATH.exec(attrs);
  return m ? normalizePath(m[1] ?? m[2] ?? "") : "";
}

const FENCE_OPEN = /^\s*(`{3,}|~{3,})[^`]*$/;
// A first line that may still grow into a fence's opening line.
const FENCE_START = /^\s*(?:`{1,2}|~{1,2}|`{3,}[^`]*|~{3,}[^`]*)$/;

// What the code view shows of a block's raw body. While it streams: without the line breaks
// after the tag, nor a markdown fence the model wrapped the code in. Once a file is done: the
// server's own cleaning (paynto_common.answer._clean_body), so the text matches the stored file.
function bodyText(raw, block) {
  let text = raw.replace(/\r\n/g, "\n").replace(/^\n+/, "");
  if (block.kind !== "file") return text;
  if (!block.done) {
    const firstBreak = text.indexOf("\n");
    if (firstBreak < 0) return FENCE_START.test(text) ? "" : text;
    return FENCE_OPEN.test(text.slice(0, firstBreak)) ? text.slice(firstBreak + 1) : text;
  }
  text = text.trimEnd();
  const lines = text.split("\n");
  const opener = FENCE_OPEN.exec(lines[0]);
  if (opener) {
    lines.shift();
    const mark = opener[1];
    const closer = new RegExp(`^\\s*${mark[0] === "`" ? "`" : "~"}{${mark.length},}\\s*$`);
    if (lines.length && closer.test(lines[lines.length - 1])) lines.pop();
    text = lines.join("\n").replace(/^\n+/, "").trimEnd();
  }
  return text ? text + "\n" : "";
}

// Root-level files (paynto_common.answer._ROOT_FILE_RE): a bare name only.
const ROOT_FILE = new RegExp("^(?:" + [
  "index\\.html",
  "package(?:-lock)?\\.json", "npm-shrinkwrap\\.json", "pnpm-lock\\.yaml", "yarn\\.lock",
  "(?:vite|vitest|tailwind|postcss|prettier|eslint|svelte|astro|next)\\.config\\.[\\w.]+",
  "[tj]sconfig(?:\\.[\\w-]+)*\\.json",
  "\\.eslintrc(?:\\.\\w+)?", "\\.eslintignore", "\\.prettierrc(?:\\.\\w+)?", "\\.prettierignore",
  "\\.gitignore", "\\.gitattributes", "\\.editorconfig", "\\.npmrc", "\\.nvmrc", "\\.node-version",
  "\\.env(?:\\.[\\w.-]+)?",
  "components\\.json", "vercel\\.json", "netlify\\.toml",
  "README(?:\\.md)?", "LICENSE(?:\\.md|\\.txt)?",
].join("|") + ")$");
const QUOTES = "\"'`\u201c\u201d\u2018\u2019";

function stripChars(text, chars) {
  let start = 0;
  let end = text.length;
  while (start < end && chars.includes(text[start])) start += 1;
  while (end > start && chars.includes(text[end - 1])) end -= 1;
  return text.slice(start, end);
}

/**
 * Where a model-supplied path lands in the project, exactly as the server decides
 * (paynto_common.answer.normalize_path), so a live block and the server's `file` event name
 * the same file.
 *
 * @param {string} path the path attribute as the model wrote it
 * @returns {string} the project path, or "" for no path
 */
export function normalizePath(path) {
  let p = stripChars(String(path ?? "").trim(), QUOTES).trim().replace(/\\/g, "/");
  const absolute = p.startsWith("/");
  p = p.replace(/\/{2,}/g, "/");
  // "." segments carry no meaning; ".." segments stay for the server's confinement check.
  p = p.replace(/(^|\/)\.(?=\/|$)/g, "");
  const stripped = p.replace(/^\/+/, "");
  const projectPath = (q) => q.startsWith("src/") || q.startsWith("public/") || ROOT_FILE.test(q);
  if (absolute && stripped && !projectPath(stripped)) return p;
  if (!stripped) return "";
  if (projectPath(stripped) || /^[A-Za-z]:/.test(stripped)) return stripped;
  return `src/${stripped}`;
}
