// answer-stream.js: the files and edits of a streamed answer, the same however the answer is
// cut into deltas, with tags split anywhere, and as the server's parser reads them.
import assert from "node:assert/strict";
import { test } from "node:test";

import { AnswerStream, normalizePath } from "../../src/gateway/static/js/lib/answer-stream.js";

const APP = `import { useState } from "react";
import File from "./File.jsx";

export default function App() {
  const [n, setN] = useState(0);
  return (
    <main className="min-h-screen">
      <File name="a" />
      <h1>Coffee &lt;Roastery&gt;</h1>
      <button onClick={() => setN(n + 1)}>{n < 3 ? "more" : "enough"}</button>
    </main>
  );
}`;

// An answer as models write them: an explanation, a whole file, a fenced one, an unquoted
// path, an edit, packages, and a file the model forgot to close.
const ANSWER = `<explanation>
A coffee roastery page with a counter.
</explanation>

<file path="src/App.jsx">
${APP}
</file>

<file filename='index.css'>
\`\`\`css
@import "tailwindcss";
body { margin: 0 }
\`\`\`
</file>
<file path=src/main.jsx>import "./index.css";</file >
<edit path="src/components/Hero.jsx">
<<<<<<< SEARCH
<h1>Old</h1>
=======
<h1>New</h1>
>>>>>>> REPLACE
</edit>
<file path="./src/Broken.jsx">
export const Broken = () => <p>cut</p>;
<packages>
lucide-react
</packages>
<file path="/src/components/Footer.jsx">
export default function Footer() { return <footer>© 2025</footer>; }
</file>
<file>no path, so no file</file>
<file path="src/Unfinished.jsx">
export const Unfinished = () => <div>`;

const EXPECTED = [
  { path: "src/App.jsx", kind: "file", text: APP + "\n", done: true, complete: true },
  { path: "src/index.css", kind: "file", text: '@import "tailwindcss";\nbody { margin: 0 }\n',
    done: true, complete: true },
  { path: "src/main.jsx", kind: "file", text: 'import "./index.css";\n', done: true,
    complete: true },
  { path: "src/components/Hero.jsx", kind: "edit",
    text: "<<<<<<< SEARCH\n<h1>Old</h1>\n=======\n<h1>New</h1>\n>>>>>>> REPLACE\n",
    done: true, complete: true },
  { path: "src/Broken.jsx", kind: "file", text: "export const Broken = () => <p>cut</p>;\n",
    done: true, complete: false },
  { path: "src/components/Footer.jsx", kind: "file",
    text: "export default function Footer() { return <footer>© 2025</footer>; }\n",
    done: true, complete: true },
  { path: "src/Unfinished.jsx", kind: "file", text: "export const Unfinished = () => <div>",
    done: false, complete: false },
];

function streamed(deltas) {
  const stream = new AnswerStream();
  const reports = [];
  for (const delta of deltas) reports.push(stream.push(delta));
  return { stream, reports };
}

test("a whole answer at once: every file and edit, cleaned as the server stores them", () => {
  const { stream, reports } = streamed([ANSWER]);
  assert.deepEqual(stream.files(), EXPECTED);
  assert.deepEqual(reports[0], EXPECTED);
  assert.deepEqual(stream.current(), EXPECTED[EXPECTED.length - 1]);
});

test("split at every index into two deltas, the result is the same", () => {
  for (let i = 0; i <= ANSWER.length; i += 1) {
    const { stream, reports } = streamed([ANSWER.slice(0, i), ANSWER.slice(i)]);
    assert.deepEqual(stream.files(), EXPECTED, `split at ${i}`);
    // What the two deltas reported ends in the same state.
    const last = new Map();
    for (const block of reports.flat()) last.set(`${block.kind} ${block.path}`, block);
    assert.deepEqual([...last.values()], EXPECTED, `reports split at ${i}`);
  }
});

test("one character at a time: a text only grows, and never shows part of a tag", () => {
  const stream = new AnswerStream();
  const seen = new Map();
  for (const char of ANSWER) {
    for (const block of stream.push(char)) {
      const key = `${block.kind} ${block.path}`;
      const final = EXPECTED.find((b) => `${b.kind} ${b.path}` === key);
      assert.ok(final, key);
      if (!block.done) {
        // The streaming text is the final one's beginning (the final one also loses trailing
        // space and a closing fence).
        const shown = block.text.replace(/\n`+\s*$/, "").trimEnd();
        assert.ok(final.text.startsWith(shown), `${key}: ${JSON.stringify(block.text.slice(-40))}`);
        assert.ok(!/<\/?(?:f|fi|fil|file|e|ed|edi|edit)?$/.test(block.text) ||
                  final.text.startsWith(block.text), `${key} shows a partial tag`);
        const before = seen.get(key) ?? "";
        assert.ok(block.text.startsWith(before), `${key} shrank`);
      }
      seen.set(key, block.text);
    }
  }
  assert.deepEqual(stream.files(), EXPECTED);
});

test("many random splits give the same files", () => {
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let round = 0; round < 200; round += 1) {
    const deltas = [];
    for (let i = 0; i < ANSWER.length;) {
      const n = 1 + Math.floor(rand() * 40);
      deltas.push(ANSWER.slice(i, i + n));
      i += n;
    }
    assert.deepEqual(streamed(deltas).stream.files(), EXPECTED, `round ${round}`);
  }
});

test("a delta reports only the blocks it changed, each once, in order", () => {
  const stream = new AnswerStream();
  assert.deepEqual(stream.push("<explanation>hi</explanation>\n"), []);
  assert.deepEqual(stream.push('<file path="a.js">one'), [
    { path: "src/a.js", kind: "file", text: "one", done: false, complete: false }]);
  assert.deepEqual(stream.push(" two</fi"), [
    { path: "src/a.js", kind: "file", text: "one two", done: false, complete: false }]);
  assert.deepEqual(stream.push("le>\n<file path=\"b.js\">x</file><file path=\"c.js\">"), [
    { path: "src/a.js", kind: "file", text: "one two\n", done: true, complete: true },
    { path: "src/b.js", kind: "file", text: "x\n", done: true, complete: true },
    { path: "src/c.js", kind: "file", text: "", done: false, complete: false }]);
  assert.deepEqual(stream.push("\n"), []);
  assert.deepEqual(stream.push(""), []);
  assert.equal(stream.current().path, "src/c.js");
  stream.push("</file>");
  assert.equal(stream.current(), null);
  assert.deepEqual(stream.files().map((b) => b.path), ["src/a.js", "src/b.js", "src/c.js"]);
});

test("only lower-case tags count, and an edit's inner tags are its text", () => {
  const stream = new AnswerStream();
  stream.push('<File path="x.js">not a file</File>\n' +
              "<edit path='e.jsx'>\n<file path=\"y\">\n</edit>");
  assert.deepEqual(stream.files(), [
    { path: "src/e.jsx", kind: "edit", text: '<file path="y">\n', done: true, complete: true }]);
  // An edit's path must be quoted, as the server requires.
  const bare = new AnswerStream();
  bare.push("<edit path=e.jsx>x</edit>");
  assert.deepEqual(bare.files(), []);
});

test("a file cut short by a top-level tag at a line start keeps its last line break", () => {
  for (const tag of ["<packages>", "<package>", "<command>", "<explanation>"]) {
    const stream = new AnswerStream();
    stream.push(`<file path="a.js">x\n${tag}y</file>`);
    assert.deepEqual(stream.files(), [
      { path: "src/a.js", kind: "file", text: "x\n", done: true, complete: false }], tag);
    // Not at a line start: file text.
    const inline = new AnswerStream();
    inline.push(`<file path="a.js">x ${tag}y</file>`);
    assert.equal(inline.files()[0].text, `x ${tag}y\n`, tag);
  }
});

test("a long answer is scanned once: pushing after it costs no re-scan", () => {
  const stream = new AnswerStream();
  const body = "const a = 1; // no tags here\n".repeat(20_000);
  stream.push('<file path="big.js">');
  for (let i = 0; i < body.length; i += 1000) stream.push(body.slice(i, i + 1000));
  // The scan offset follows the end of the text: nothing before it is read again.
  assert.equal(stream.pos, stream.buffer.length);
  stream.push("</file>");
  assert.equal(stream.files()[0].text, body);
  assert.equal(stream.files()[0].done, true);
});

test("normalizePath places paths as the server does", () => {
  const cases = {
    "src/App.jsx": "src/App.jsx", "App.jsx": "src/App.jsx", "./App.jsx": "src/App.jsx",
    "/src/App.jsx": "src/App.jsx", "components//Hero.jsx": "src/components/Hero.jsx",
    "index.html": "index.html", "package.json": "package.json",
    "vite.config.js": "vite.config.js", "tailwind.config.ts": "tailwind.config.ts",
    "tsconfig.app.json": "tsconfig.app.json", ".env.local": ".env.local",
    "lib/vite.config.js": "src/lib/vite.config.js", "public/logo.svg": "public/logo.svg",
    "/etc/passwd": "/etc/passwd", "../x.js": "src/../x.js", "C:/x.js": "C:/x.js",
    " 'src\\\\a.js' ": "src/a.js", "\u201cApp.jsx\u201d": "src/App.jsx", "": "", "/": "",
    "./": "", "README.md": "README.md",
  };
  for (const [raw, want] of Object.entries(cases)) assert.equal(normalizePath(raw), want, raw);
});
