// highlight.js: every token joins back into the input, whatever it is; the scanners name the
// parts of each language; long and unterminated texts end in linear time.
import assert from "node:assert/strict";
import { test } from "node:test";

import { MAX_CHARS, languageOf, tokens } from "../../src/gateway/static/js/lib/highlight.js";

const TYPES = new Set(["plain", "keyword", "string", "comment", "number", "tag", "attr", "punct",
                       "property"]);
const LANGS = ["jsx", "js", "ts", "tsx", "css", "html", "json", "md"];

const SAMPLES = {
  jsx: `import { useState } from "react";
import Icon from './components/Icon.jsx';

// The page's header.
export default function Header({ title = "Roastery", items }) {
  const [open, setOpen] = useState(false);
  const re = /a[/]b\\/c/gi, half = 10 / 2;
  /* a block
     comment */
  return (
    <header className="flex items-center" data-open={open} {...items}>
      <h1 aria-label='title'>{title} &amp; co</h1>
      {items.map((item) => <a key={item.id} href={\`#\${item.id}\`}>{item.label}</a>)}
      <></>
      <Icon.Star filled />
      {open ? <nav>menu</nav> : null}
    </header>
  );
}
`,
  js: "const x = { a: 1, 'b': 0x1f, c: 1_000n, d: .5e-3 };\nx.a?.b ?? `t ${x.c} ${`in`}`;\n",
  ts: "interface P { name: string; age?: number }\n" +
      "export const f = <T,>(x: T): T => x;\nlet y = a < b ? 1 : 2;\n",
  tsx: "type Props = { title: string };\n" +
       "export function A({ title }: Props) { return <b>{title}</b>; }\n",
  css: `@import "tailwindcss";
:root { --brand: #c2410c; }
.btn:hover, h1 > p::before { color: var(--brand); margin: -1px .5em 2rem; }
@media (min-width: 40rem) { .card { padding: 0 !important } }
/* unterminated`,
  html: `<!DOCTYPE html>
<html lang=en><head><meta charset="utf-8"><title>A &lt; B</title>
<style>body { margin: 0 }</style>
<script type="module" src="/src/main.jsx"></script><script>if (a < b) go("x")</script>
</head><body><!-- note --><div id='root' hidden></div></body></html>
`,
  json: '{\n  "name": "site",\n  "private": true,\n  "version": "0.0.1",\n' +
        '  "n": -1.5e3,\n  "deps": ["a", null]\n}\n',
  md: "# Title\n\nSome `code` and ``more ` code`` and a `loose one.\n\n" +
      "```js\nconst a = 1;\n```\n## Next\ntext\n",
};

function assertRoundTrip(text, lang) {
  const out = tokens(text, lang);
  assert.equal(out.map((t) => t.text).join(""), text,
               `${lang}: ${JSON.stringify(text.slice(0, 80))}`);
  for (const t of out) {
    assert.ok(TYPES.has(t.type), `unknown type ${t.type}`);
    assert.ok(t.text.length > 0, "an empty token");
  }
  return out;
}

// A small deterministic generator, so a failure can be replayed.
function random(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const PIECES = ["<", ">", "</", "/>", "{", "}", "(", ")", '"', "'", "`", "${", "\\", "/", "*",
                "//", "/*", "*/", "<!--", "-->", "#", "##", "```", "-", ".", ":", ";", "=",
                "\n", " ", "\t", "\r\n", "a", "div", "return", "const", "0x1", "1.5", "@media",
                "<script>", "</script>", "<style>", "</style>", "é", "\u2028", "!", "&", "?"];

function generate(rand, length) {
  let text = "";
  while (text.length < length) text += PIECES[Math.floor(rand() * PIECES.length)];
  return text;
}

test("tokens join back into the input for every language and many inputs", () => {
  const rand = random(11);
  for (const lang of LANGS) {
    for (const sample of Object.values(SAMPLES)) {
      assertRoundTrip(sample, lang);
      // Every prefix: a file cut anywhere, as it is while it streams.
      for (let i = 0; i <= sample.length; i += 1) assertRoundTrip(sample.slice(0, i), lang);
    }
    for (let n = 0; n < 300; n += 1) assertRoundTrip(generate(rand, 1 + (n % 90)), lang);
  }
});

test("JSX: keywords, strings, comments, numbers, tags, attributes and properties", () => {
  const out = assertRoundTrip(SAMPLES.jsx, "jsx");
  const typed = (type) => out.filter((t) => t.type === type).map((t) => t.text.trim());
  for (const word of ["import", "from", "export", "default", "function", "const", "return"]) {
    assert.ok(typed("keyword").includes(word), word);
  }
  assert.ok(typed("string").includes('"react"'));
  assert.ok(typed("string").includes("/a[/]b\\/c/gi"), "a regex literal, with / in its class");
  assert.ok(typed("comment").includes("// The page's header."));
  assert.ok(typed("comment").some((c) => c.startsWith("/* a block") && c.endsWith("*/")));
  assert.ok(typed("number").includes("10") && typed("number").includes("2"));
  assert.deepEqual(typed("tag"),
                   ["header", "h1", "h1", "a", "a", "Icon.Star", "nav", "nav", "header"]);
  assert.deepEqual(typed("attr"),
                   ["className", "data-open", "aria-label", "key", "href", "filled"]);
  assert.ok(typed("property").includes("map") && typed("property").includes("label"));
  // Text between tags stays plain, entities and all; "/ 2" is division, not a regex.
  assert.ok(out.some((t) => t.type === "plain" && t.text.includes("&amp; co")));
  assert.ok(out.some((t) => t.type === "punct" && t.text.includes("/")));
});

test("a template literal's ${} holds code, and a nested template", () => {
  const out = assertRoundTrip("`a ${b + `c`} d`", "js");
  assert.deepEqual(out.map((t) => [t.type, t.text]), [
    ["string", "`a "], ["punct", "${"], ["plain", "b "], ["punct", "+"], ["plain", " "],
    ["string", "`c`"], ["punct", "}"], ["string", " d`"]]);
});

test("object keys and member names are properties; a ternary's branch is not", () => {
  const out = assertRoundTrip("const o = { size: 2, x: a ? b : c }; o.size;", "js");
  const props = out.filter((t) => t.type === "property").map((t) => t.text);
  assert.deepEqual(props, ["size", "x", "size"]);
});

test("TypeScript: type keywords, and < is a comparison or a generic, never a tag", () => {
  const out = assertRoundTrip(SAMPLES.ts, "ts");
  const keywords = out.filter((t) => t.type === "keyword").map((t) => t.text);
  for (const word of ["interface", "string", "number", "export", "const", "let"]) {
    assert.ok(keywords.includes(word), word);
  }
  assert.equal(out.filter((t) => t.type === "tag").length, 0);
  const tsx = assertRoundTrip(SAMPLES.tsx, "tsx");
  assert.deepEqual(tsx.filter((t) => t.type === "tag").map((t) => t.text), ["b", "b"]);
});

test("CSS: at-rules, selectors, properties, values, colours and comments", () => {
  const out = assertRoundTrip(SAMPLES.css, "css");
  const typed = (type) => out.filter((t) => t.type === type).map((t) => t.text);
  assert.ok(typed("keyword").includes("@import") && typed("keyword").includes("@media"));
  assert.ok(typed("keyword").includes("!important"));
  assert.deepEqual(typed("property"), ["--brand", "color", "margin", "padding"]);
  assert.ok(typed("number").includes("#c2410c") && typed("number").includes("-1px"));
  assert.ok(typed("number").includes(".5em") && typed("number").includes("40rem"));
  assert.ok(typed("attr").includes(".btn:hover") && typed("attr").includes(".card"));
  assert.ok(typed("tag").includes("h1") && typed("tag").includes("p"));
  assert.ok(typed("string").includes('"tailwindcss"'));
  assert.equal(out[out.length - 1].type, "comment", "an unterminated comment runs to the end");
});

test("HTML: tags, attributes, values, comments, and script and style as code", () => {
  const out = assertRoundTrip(SAMPLES.html, "html");
  const typed = (type) => out.filter((t) => t.type === type).map((t) => t.text);
  assert.equal(out[0].type, "keyword");
  assert.ok(out[0].text.startsWith("<!DOCTYPE html>"));
  assert.ok(typed("tag").includes("html") && typed("tag").includes("script"));
  assert.ok(typed("attr").includes("lang") && typed("attr").includes("hidden"));
  assert.ok(typed("string").includes("en") && typed("string").includes('"utf-8"'));
  assert.ok(typed("comment").includes("<!-- note -->"));
  // Inside <style> and <script>: CSS and JavaScript.
  assert.ok(typed("property").includes("margin"));
  assert.ok(typed("keyword").includes("if") && typed("string").includes('"x"'));
  assert.ok(typed("plain").some((t) => t.includes("A &lt; B")));
});

test("JSON: keys are properties, values strings, numbers and keywords", () => {
  const out = assertRoundTrip(SAMPLES.json, "json");
  const typed = (type) => out.filter((t) => t.type === type).map((t) => t.text);
  assert.deepEqual(typed("property"), ['"name"', '"private"', '"version"', '"n"', '"deps"']);
  assert.deepEqual(typed("string"), ['"site"', '"0.0.1"', '"a"']);
  assert.deepEqual(typed("number"), ["-1.5e3"]);
  assert.deepEqual(typed("keyword"), ["true", "null"]);
});

test("Markdown: headings, code spans and fenced code; the rest is plain", () => {
  const out = assertRoundTrip(SAMPLES.md, "md");
  assert.deepEqual(out.filter((t) => t.type === "keyword").map((t) => t.text),
                   ["# Title\n", "## Next\n"]);
  assert.deepEqual(out.filter((t) => t.type === "string").map((t) => t.text),
                   ["`code`", "``more ` code``", "```js\nconst a = 1;\n```\n"]);
  assert.ok(out.some((t) => t.type === "plain" && t.text.includes("`loose one.")));
});

test("an unknown language, or a text over the limit, is one plain token", () => {
  assert.deepEqual(tokens("a <b> 'c'", "text"), [{ type: "plain", text: "a <b> 'c'" }]);
  assert.deepEqual(tokens("x", undefined), [{ type: "plain", text: "x" }]);
  const big = "const a = 1;\n".repeat(Math.ceil((MAX_CHARS + 1) / 13));
  assert.ok(big.length > 200_000);
  assert.deepEqual(tokens(big, "js"), [{ type: "plain", text: big }]);
  assert.deepEqual(tokens("", "js"), []);
  // At the limit it is still coloured.
  const edge = "a".repeat(MAX_CHARS);
  assert.deepEqual(tokens(edge, "js"), [{ type: "plain", text: edge }]);
  assert.equal(tokens("const " + "a".repeat(MAX_CHARS - 6), "js")[0].type, "keyword");
});

test("a 150 kB JSX file and unterminated strings, comments and tags end, intact", () => {
  const section = (n) => `export function Section${n}({ items }) {
  // Section ${n}: a list and a form.
  const total = items.reduce((sum, item) => sum + item.price * 1.2, 0);
  return (
    <section id="s${n}" className="py-16 md:py-24">
      <h2 className="text-3xl">{\`Section \${${n}}\`}</h2>
      {items.map((item) => <p key={item.id} onClick={() => alert('hi')}>{item.name}</p>)}
      <input type="email" placeholder="you@example.com" disabled />
    </section>
  );
}
`;
  let file = "";
  for (let n = 0; file.length < 150_000; n += 1) file += section(n);
  const out = assertRoundTrip(file, "jsx");
  assert.ok(out.filter((t) => t.type === "tag").length > 1000);

  const long = "x ".repeat(75_000);
  for (const [lang, opener, type] of [
    ["jsx", '"', "string"], ["jsx", "'", "string"], ["jsx", "`", "string"],
    ["jsx", "/*", "comment"],
    ["jsx", "/", "string"], ["css", "/*", "comment"], ["html", "<!--", "comment"],
    ["json", '"', "string"], ["md", "\n```\n", "string"],
  ]) {
    const text = "a = " + opener + long.replaceAll("\n", " ");
    const unterminated = assertRoundTrip(text, lang);
    const last = unterminated[unterminated.length - 1];
    // A string stops at the line's end; this one has no line break, so it runs to the end.
    assert.equal(last.type, type, `${lang} ${opener}`);
    assert.ok(last.text.length >= long.length, `${lang} ${opener}`);
  }
  // An opening tag that never closes, and deep nesting that never unwinds.
  assertRoundTrip("<div " + 'a="1" '.repeat(25_000), "jsx");
  assertRoundTrip("<a>{".repeat(30_000), "jsx");
  assertRoundTrip("<p " + "x=1 ".repeat(30_000), "html");
  assertRoundTrip("`${".repeat(40_000), "js");
  assertRoundTrip("`".repeat(150_000), "md");
  assertRoundTrip("` ``".repeat(35_000), "md");
  assertRoundTrip("{".repeat(150_000), "css");
  assertRoundTrip("1".repeat(150_000) + "x", "js");
});

test("languageOf reads the extension", () => {
  const cases = {
    "src/App.jsx": "jsx", "src/main.js": "js", "vite.config.mjs": "js", "a.cjs": "js",
    "src/x.ts": "ts", "src/App.TSX": "tsx", "src/index.css": "css", "index.html": "html",
    "public/logo.svg": "html", "package.json": "json", "tsconfig.json": "json",
    "README.md": "md", "notes.markdown": "md", "LICENSE": "text", ".gitignore": "text",
    "src/data.yaml": "text", "": "text", "dir.v2/file": "text",
  };
  for (const [path, lang] of Object.entries(cases)) assert.equal(languageOf(path), lang, path);
});
