// Syntax colouring for the code view: text in, typed tokens out (the view makes one text node
// per token, so nothing here is ever parsed as HTML). Hand-written scanners, one per language,
// that move forward on every step: the time is linear in the text, whatever the text (a model's
// half-written file is often unterminated). Pure: no DOM, so node tests it.

/** Above this many characters a file is shown as plain text: colouring it would not help. */
export const MAX_CHARS = 200_000;

const JS_KEYWORDS = new Set((
  "async await break case catch class const continue debugger default delete do else export " +
  "extends false finally for from function get if import in instanceof let new null of return " +
  "set static super switch this throw true try typeof undefined var void while with yield"
).split(" "));
const TS_KEYWORDS = new Set([...JS_KEYWORDS, ...(
  "abstract any as asserts bigint boolean declare enum implements infer interface is keyof " +
  "namespace never number object override private protected public readonly satisfies string " +
  "symbol type unique unknown"
).split(" ")]);
// After one of these, "/" starts a regular expression and "<" a JSX tag, not an operator.
const EXPRESSION_KEYWORDS = new Set((
  "return typeof instanceof in of new delete void throw case do else yield await extends"
).split(" "));
// At-rules whose block holds rules, not declarations.
const CSS_BLOCK_AT_RULES = new Set([
  "@media", "@supports", "@layer", "@container", "@document", "@keyframes", "@scope",
  "@starting-style",
]);

// Sticky patterns, tried at one position only; none nests a quantifier, so none can backtrack
// badly.
const SPACE = /\s+/y;
const IDENT = /[A-Za-z_$\u00a0-\uffff][\w$\u00a0-\uffff]*/y;
const JSX_NAME = /[A-Za-z_$\u00a0-\uffff][\w$.:\-\u00a0-\uffff]*/y;
// Hex, octal, binary, or decimal with a fraction and an exponent; "_" separators; BigInt "n".
const NUMBER = new RegExp(
  "(?:0[xX][\\da-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+" +
  "|(?:\\d[\\d_]*(?:\\.[\\d_]*)?|\\.\\d[\\d_]*)(?:[eE][+-]?\\d[\\d_]*)?)n?", "y");
const CSS_IDENT = /-?[A-Za-z_\u00a0-\uffff][\w\-\u00a0-\uffff]*|--[\w\-\u00a0-\uffff]*/y;
const CSS_NUMBER = /[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?(?:%|[A-Za-z]+)?/y;
const HEX_COLOR = /#[\da-fA-F]{3,8}\b/y;
const HTML_NAME = /[A-Za-z][\w:.\-]*/y;
const HTML_ATTR = /[^\s"'<>\/=]+/y;
const HTML_UNQUOTED = /[^\s"'<>=`]+/y;
const JSON_WORD = /true|false|null/y;
const JSON_NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * Split `text` into tokens for colouring.
 *
 * @param {string} text the file's content
 * @param {string} lang one of jsx, js, ts, tsx, css, html, json, md (see {@link languageOf});
 *   anything else, or a text longer than {@link MAX_CHARS}, gives one plain token
 * @returns {Array<{type: string, text: string}>} tokens whose texts, joined, give back `text`
 *   exactly; `type` is one of plain, keyword, string, comment, number, tag, attr, punct,
 *   property. An empty text gives no token.
 */
export function tokens(text, lang) {
  const source = typeof text === "string" ? text : String(text ?? "");
  if (!source) return [];
  const scan = SCANNERS[lang];
  if (!scan || source.length > MAX_CHARS) return [{ type: "plain", text: source }];
  const out = new Output();
  scan(source, out);
  return out.tokens;
}

/**
 * The language of a file, from its name.
 *
 * @param {string} path a project path such as "src/App.jsx"
 * @returns {string} a language {@link tokens} knows, or "text"
 */
export function languageOf(path) {
  const name = String(path ?? "").split("/").pop().toLowerCase();
  const dot = name.lastIndexOf(".");
  const ext = dot > 0 ? name.slice(dot + 1) : "";
  return EXTENSIONS[ext] ?? "text";
}

const EXTENSIONS = {
  js: "js", mjs: "js", cjs: "js", jsx: "jsx",
  ts: "ts", mts: "ts", cts: "ts", tsx: "tsx",
  css: "css", html: "html", htm: "html", svg: "html",
  json: "json", jsonc: "json", webmanifest: "json",
  md: "md", markdown: "md", mdx: "md",
};

// Collects tokens, merging neighbours of one type so a long text gives few nodes.
class Output {
  constructor() {
    /** @type {Array<{type: string, text: string}>} */
    this.tokens = [];
  }

  push(type, text) {
    if (!text) return;
    const last = this.tokens[this.tokens.length - 1];
    if (last && last.type === type) last.text += text;
    else this.tokens.push({ type, text });
  }
}

// The match of a sticky pattern at `at`, or "".
function matchAt(pattern, text, at) {
  pattern.lastIndex = at;
  const m = pattern.exec(text);
  return m ? m[0] : "";
}

// Where a run that ends at `close` stops: just past it, or at the end of the text.
function until(text, close, from) {
  const end = text.indexOf(close, from);
  return end < 0 ? text.length : end + close.length;
}

// A quoted string from `at` (the quote): a backslash escapes the next character; a line break
// ends an unterminated one unless `multiline`.
function quotedEnd(text, at, multiline) {
  const quote = text[at];
  let i = at + 1;
  while (i < text.length) {
    const c = text[i];
    if (c === "\\") i += 2;
    else if (c === quote) return i + 1;
    else if (c === "\n" && !multiline) return i;
    else i += 1;
  }
  return text.length;
}

// --- JavaScript, TypeScript and JSX -------------------------------------------------------------

// Contexts on the scanner's stack: plain code (with its own brace depth), a template literal,
// a JSX tag between "<" and ">", and a JSX element's children.
const CODE = "code", TEMPLATE = "template", JSX_TAG = "tag", JSX_CHILDREN = "children";

function scanScript(text, out, { jsx, keywords }) {
  const stack = [{ mode: CODE, depth: 0 }];
  // The last significant token, to tell a regex or a JSX tag from division or less-than.
  let prev = { type: "punct", text: "" };
  let i = 0;
  const emit = (type, end) => {
    const piece = text.slice(i, end);
    out.push(type, piece);
    if (type !== "comment" && !(type === "plain" && !piece.trim())) prev = { type, text: piece };
    i = end;
  };
  const expressionExpected = () => {
    if (prev.type === "keyword") return EXPRESSION_KEYWORDS.has(prev.text);
    if (prev.type !== "punct") return false;
    return !(prev.text === ")" || prev.text === "]" || prev.text === "}");
  };

  while (i < text.length) {
    const top = stack[stack.length - 1];
    const c = text[i];

    if (top.mode === TEMPLATE) {
      let j = i;
      while (j < text.length && text[j] !== "`" && !(text[j] === "$" && text[j + 1] === "{")) {
        j += text[j] === "\\" ? 2 : 1;
      }
      j = Math.min(j, text.length);
      if (j > i) emit("string", j);
      if (i >= text.length) break;
      if (text[i] === "`") {
        emit("string", i + 1);
        stack.pop();
      } else {
        emit("punct", i + 2);
        stack.push({ mode: CODE, depth: 0, embedded: true });
      }
      continue;
    }

    if (top.mode === JSX_CHILDREN) {
      if (c === "<") {
        const closing = text[i + 1] === "/";
        emit("punct", i + (closing ? 2 : 1));
        stack.push({ mode: JSX_TAG, closing, named: false });
      } else if (c === "{") {
        emit("punct", i + 1);
        stack.push({ mode: CODE, depth: 0, embedded: true });
      } else {
        let j = i + 1;
        while (j < text.length && text[j] !== "<" && text[j] !== "{") j += 1;
        emit("plain", j);
      }
      continue;
    }

    if (top.mode === JSX_TAG) {
      if (/\s/.test(c)) {
        emit("plain", i + matchAt(SPACE, text, i).length);
      } else if (c === ">" || (c === "/" && text[i + 1] === ">")) {
        const selfClosing = c === "/";
        emit("punct", i + (selfClosing ? 2 : 1));
        stack.pop();
        if (top.closing) {
          if (stack[stack.length - 1].mode === JSX_CHILDREN) stack.pop();
        } else if (!selfClosing) {
          stack.push({ mode: JSX_CHILDREN });
        }
      } else if (c === "{") {
        emit("punct", i + 1);
        stack.push({ mode: CODE, depth: 0, embedded: true });
      } else if (c === '"' || c === "'") {
        emit("string", quotedEnd(text, i, true));
      } else if (c === "/" && (text[i + 1] === "/" || text[i + 1] === "*")) {
        emit("comment", text[i + 1] === "/" ? lineEnd(text, i) : until(text, "*/", i + 2));
      } else {
        const name = matchAt(JSX_NAME, text, i);
        if (name) {
          emit(top.named ? "attr" : "tag", i + name.length);
          top.named = true;
        } else {
          emit("punct", i + 1);
        }
      }
      continue;
    }

    // Plain code.
    if (/\s/.test(c)) {
      emit("plain", i + matchAt(SPACE, text, i).length);
    } else if (c === "/" && text[i + 1] === "/") {
      emit("comment", lineEnd(text, i));
    } else if (c === "/" && text[i + 1] === "*") {
      emit("comment", until(text, "*/", i + 2));
    } else if (c === '"' || c === "'") {
      emit("string", quotedEnd(text, i, false));
    } else if (c === "`") {
      emit("string", i + 1);
      stack.push({ mode: TEMPLATE });
    } else if (c === "/" && expressionExpected()) {
      emit("string", regexEnd(text, i));
    } else if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(text[i + 1] ?? ""))) {
      emit("number", i + Math.max(1, matchAt(NUMBER, text, i).length));
    } else if (c === "<" && jsx && expressionExpected() && /[A-Za-z_$>]/.test(text[i + 1] ?? "")) {
      emit("punct", i + 1);
      stack.push({ mode: JSX_TAG, closing: false, named: false });
    } else if (c === ".") {
      // A run of dots is one token, so a spread's name does not read as a property.
      let j = i + 1;
      while (text[j] === ".") j += 1;
      emit("punct", j);
    } else if (c === "{") {
      top.depth += 1;
      emit("punct", i + 1);
    } else if (c === "}") {
      emit("punct", i + 1);
      if (top.depth > 0) top.depth -= 1;
      else if (top.embedded) stack.pop();
    } else {
      const word = matchAt(IDENT, text, i);
      if (word) {
        const afterDot = prev.type === "punct" && prev.text === ".";
        let type = "plain";
        if (afterDot) type = "property";
        else if (keywords.has(word)) type = "keyword";
        else if (isKey(text, i + word.length)) type = "property";
        emit(type, i + word.length);
      } else {
        emit("punct", i + 1);
      }
    }
  }
}

// The end of a "//" comment: the line break stays outside it.
function lineEnd(text, from) {
  const end = text.indexOf("\n", from);
  return end < 0 ? text.length : end;
}

// A regular expression literal from its "/": "/" inside a [class] does not end it; a line break
// ends an unterminated one. Its flags go with it.
function regexEnd(text, at) {
  let i = at + 1;
  let inClass = false;
  while (i < text.length) {
    const c = text[i];
    if (c === "\n") return i;
    if (c === "\\") i += 2;
    else {
      if (c === "[") inClass = true;
      else if (c === "]") inClass = false;
      else if (c === "/" && !inClass) {
        i += 1;
        while (i < text.length && /[a-z]/.test(text[i])) i += 1;
        return i;
      }
      i += 1;
    }
  }
  return Math.min(i, text.length);
}

// Whether a name ending at `end` is an object key ("name: value"). A ternary's branch is
// written "a : b", with a space, so only a colon right after the name counts.
function isKey(text, end) {
  return text[end] === ":" && text[end + 1] !== ":";
}

// --- CSS ----------------------------------------------------------------------------------------

function scanCss(text, out) {
  // One entry per open brace: true when the block holds declarations, false when it holds rules
  // (@media and the like).
  const blocks = [];
  let lastAtRule = "";
  let inValue = false;
  let afterProperty = false;  // the last token was a property name, so ":" starts its value
  let i = 0;
  const emit = (type, end) => {
    out.push(type, text.slice(i, end));
    if (type !== "plain" || text.slice(i, end).trim()) afterProperty = type === "property";
    i = end;
  };
  while (i < text.length) {
    const c = text[i];
    const declarations = blocks.length > 0 && blocks[blocks.length - 1];
    if (/\s/.test(c)) {
      emit("plain", i + matchAt(SPACE, text, i).length);
    } else if (c === "/" && text[i + 1] === "*") {
      emit("comment", until(text, "*/", i + 2));
    } else if (c === '"' || c === "'") {
      emit("string", quotedEnd(text, i, false));
    } else if (c === "@") {
      const word = matchAt(CSS_IDENT, text, i + 1);
      lastAtRule = "@" + word.toLowerCase();
      emit("keyword", i + 1 + word.length);
    } else if (c === "{") {
      blocks.push(!CSS_BLOCK_AT_RULES.has(lastAtRule));
      lastAtRule = "";
      inValue = false;
      emit("punct", i + 1);
    } else if (c === "}") {
      blocks.pop();
      inValue = false;
      emit("punct", i + 1);
    } else if (c === ";") {
      lastAtRule = "";
      inValue = false;
      emit("punct", i + 1);
    } else if (c === ":" && (lastAtRule || afterProperty || inValue)) {
      // A declaration's colon, or one in an at-rule's prelude ("(min-width: 40rem)").
      if (afterProperty) inValue = true;
      emit("punct", i + 1);
    } else if (c === "!" && declarations) {
      emit("keyword", i + 1 + matchAt(CSS_IDENT, text, i + 1).length);
    } else if (c === "#" && inValue && matchAt(HEX_COLOR, text, i)) {
      emit("number", i + matchAt(HEX_COLOR, text, i).length);
    } else if ((c === "." || c === "#") && !inValue && matchAt(CSS_IDENT, text, i + 1)) {
      emit("attr", i + 1 + matchAt(CSS_IDENT, text, i + 1).length);
    } else if (c === ":" && !inValue) {
      // A pseudo-class or pseudo-element in a selector.
      const colons = text[i + 1] === ":" ? 2 : 1;
      emit("attr", i + colons + matchAt(CSS_IDENT, text, i + colons).length);
    } else if (/[0-9]/.test(c) ||
               (".-+".includes(c) && inValue && /[0-9.]/.test(text[i + 1] ?? ""))) {
      emit("number", i + Math.max(1, matchAt(CSS_NUMBER, text, i).length));
    } else {
      const word = matchAt(CSS_IDENT, text, i);
      if (word) {
        let type = "plain";  // a value, or an at-rule's prelude
        if (!lastAtRule && !inValue) {
          // A property, or else a selector (nested or not).
          type = declarations && isDeclaration(text, i + word.length) ? "property" : "tag";
        }
        emit(type, i + word.length);
      } else {
        emit("punct", i + 1);
      }
    }
  }
}

// Whether the name ending at `end` is followed by ":" (a declaration, not a nested selector).
function isDeclaration(text, end) {
  let j = end;
  while (j < text.length && j - end < 8 && (text[j] === " " || text[j] === "\t")) j += 1;
  return text[j] === ":";
}

// --- HTML ---------------------------------------------------------------------------------------

function scanHtml(text, out) {
  let i = 0;
  const emit = (type, end) => {
    out.push(type, text.slice(i, end));
    i = end;
  };
  while (i < text.length) {
    if (text.startsWith("<!--", i)) {
      emit("comment", until(text, "-->", i + 4));
    } else if (text[i] === "<" && text[i + 1] === "!") {
      emit("keyword", Math.min(until(text, ">", i), nextTagStart(text, i + 1)));
    } else if (text[i] === "<" && (/[A-Za-z]/.test(text[i + 1] ?? "") ||
               (text[i + 1] === "/" && /[A-Za-z]/.test(text[i + 2] ?? "")))) {
      const closing = text[i + 1] === "/";
      emit("punct", i + (closing ? 2 : 1));
      const name = matchAt(HTML_NAME, text, i);
      emit("tag", i + name.length);
      // How the tag ended: ">", "/>", or not at all (the text ran out, or a new tag began).
      let ended = "";
      while (i < text.length && !ended) {
        const c = text[i];
        if (/\s/.test(c)) emit("plain", i + matchAt(SPACE, text, i).length);
        else if (c === ">") { emit("punct", i + 1); ended = ">"; }
        else if (c === "/" && text[i + 1] === ">") { emit("punct", i + 2); ended = "/>"; }
        else if (c === "<") ended = "<";
        else if (c === '"' || c === "'") emit("string", quotedEnd(text, i, true));
        else if (c === "=") {
          emit("punct", i + 1);
          const value = matchAt(HTML_UNQUOTED, text, i);
          if (value) emit("string", i + value.length);
        } else {
          const attr = matchAt(HTML_ATTR, text, i);
          emit(attr ? "attr" : "punct", i + Math.max(1, attr.length));
        }
      }
      // Script and style bodies are code of their own, up to their closing tag.
      const lower = name.toLowerCase();
      if (!closing && ended === ">" && (lower === "script" || lower === "style")) {
        const close = new RegExp(`</${lower}`, "ig");
        close.lastIndex = i;
        const found = close.exec(text);
        const end = found ? found.index : text.length;
        const inner = new Output();
        const body = text.slice(i, end);
        if (lower === "script") scanScript(body, inner, { jsx: false, keywords: JS_KEYWORDS });
        else scanCss(body, inner);
        for (const t of inner.tokens) out.push(t.type, t.text);
        i = end;
      }
    } else {
      let j = i + 1;
      while (j < text.length && text[j] !== "<") j += 1;
      emit("plain", j);
    }
  }
}

function nextTagStart(text, from) {
  const j = text.indexOf("<", from);
  return j < 0 ? text.length : j;
}

// --- JSON ---------------------------------------------------------------------------------------

function scanJson(text, out) {
  let i = 0;
  const emit = (type, end) => {
    out.push(type, text.slice(i, end));
    i = end;
  };
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      emit("plain", i + matchAt(SPACE, text, i).length);
    } else if (c === '"') {
      const end = quotedEnd(text, i, false);
      let j = end;
      while (j < text.length && /\s/.test(text[j]) && j - end < 64) j += 1;
      emit(text[j] === ":" ? "property" : "string", end);
    } else if (c === "/" && (text[i + 1] === "/" || text[i + 1] === "*")) {
      // JSON with comments (tsconfig.json).
      emit("comment", text[i + 1] === "/" ? lineEnd(text, i) : until(text, "*/", i + 2));
    } else if (c === "-" || /[0-9]/.test(c)) {
      emit("number", i + Math.max(1, matchAt(JSON_NUMBER, text, i).length));
    } else if (matchAt(JSON_WORD, text, i)) {
      emit("keyword", i + matchAt(JSON_WORD, text, i).length);
    } else if ("{}[],:".includes(c)) {
      emit("punct", i + 1);
    } else {
      emit("plain", i + 1);
    }
  }
}

// --- Markdown -----------------------------------------------------------------------------------

// Headings are keywords, fenced blocks and code spans strings, the rest plain.
function scanMarkdown(text, out) {
  let i = 0;
  let fence = "";
  while (i < text.length) {
    const nl = text.indexOf("\n", i);
    const end = nl < 0 ? text.length : nl + 1;
    const line = text.slice(i, end);
    if (fence) {
      out.push("string", line);
      if (line.trim().startsWith(fence) && /^\s*([`~])\1{2,}\s*$/.test(line)) fence = "";
    } else {
      const opener = /^ {0,3}(`{3,}|~{3,})/.exec(line);
      if (opener) {
        fence = opener[1];
        out.push("string", line);
      } else if (/^ {0,3}#{1,6}(?:\s|$)/.test(line)) {
        out.push("keyword", line);
      } else {
        scanInlineCode(line, out);
      }
    }
    i = end;
  }
}

// `code` spans: a run of backticks up to the next run of the same length on the line.
function scanInlineCode(line, out) {
  let i = 0;
  while (i < line.length) {
    const tick = line.indexOf("`", i);
    if (tick < 0) {
      out.push("plain", line.slice(i));
      return;
    }
    out.push("plain", line.slice(i, tick));
    let run = tick;
    while (line[run] === "`") run += 1;
    const ticks = line.slice(tick, run);
    let close = line.indexOf(ticks, run);
    // A longer run is not a closing one.
    while (close >= 0 && line[close + ticks.length] === "`") {
      let skip = close;
      while (line[skip] === "`") skip += 1;
      close = line.indexOf(ticks, skip);
    }
    if (close < 0) {
      out.push("plain", ticks);
      i = run;
    } else {
      out.push("string", line.slice(tick, close + ticks.length));
      i = close + ticks.length;
    }
  }
}

const SCANNERS = {
  js: (text, out) => scanScript(text, out, { jsx: true, keywords: JS_KEYWORDS }),
  jsx: (text, out) => scanScript(text, out, { jsx: true, keywords: JS_KEYWORDS }),
  ts: (text, out) => scanScript(text, out, { jsx: false, keywords: TS_KEYWORDS }),
  tsx: (text, out) => scanScript(text, out, { jsx: true, keywords: TS_KEYWORDS }),
  css: scanCss,
  html: scanHtml,
  json: scanJson,
  md: scanMarkdown,
};
