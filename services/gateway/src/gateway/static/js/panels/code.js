// The code view: the project's files as a tree, a file's text highlighted, and the file the
// model is writing right now, live from the stream.

import { $, button, make, plural } from "../core/dom.js";
import { api } from "../core/http.js";
import { setQuery } from "../core/router.js";
import { AnswerStream } from "../lib/answer-stream.js";
import { languageOf, tokens } from "../lib/highlight.js";
import { buildTree } from "../lib/tree.js";
import { projectJson, state } from "./state.js";

// path → text: the latest version's files, then what the running job writes over them.
let files = {};
let selected = "";
// The running job's answer, parsed as it streams; the file being written; whether the person
// picked a file themselves during this job (then the view stays on it).
let answer = new AnswerStream();
let writing = "";
let pinned = false;

function fileButton(node) {
  const b = button("file", node.name, () => {
    pinned = state.job.busy;
    select(node.path);
  });
  b.dataset.path = node.path;
  b.title = node.path;
  if (node.path === selected) b.setAttribute("aria-current", "true");
  if (node.path === writing) b.classList.add("writing");
  return b;
}

function branch(dir) {
  const list = make("ul", "tree");
  for (const sub of dir.dirs) {
    const item = make("li");
    const details = make("details");
    details.open = true;
    details.append(make("summary", "", sub.name), branch(sub));
    item.append(details);
    list.append(item);
  }
  for (const file of dir.files) {
    const item = make("li");
    item.append(fileButton(file));
    list.append(item);
  }
  return list;
}

function renderTree() {
  const paths = Object.keys(files);
  $("file-tree").replaceChildren(paths.length ? branch(buildTree(paths))
    : make("p", "empty-note", "No files yet."));
}

function renderFile() {
  const view = $("code-view");
  const text = files[selected];
  $("code-path").textContent = selected;
  $("code-writing").hidden = !(selected && selected === writing);
  if (text === undefined) {
    view.replaceChildren(make("span", "empty-note", selected ? "This file is gone." : "Pick a file."));
    $("code-lines").textContent = "";
    return;
  }
  const spans = tokens(text, languageOf(selected)).map((token) =>
    token.type === "plain" ? document.createTextNode(token.text)
                           : make("span", `tok-${token.type}`, token.text));
  view.replaceChildren(...spans);
  $("code-lines").textContent = plural(text ? text.split("\n").length : 0, "line");
}

function select(path) {
  selected = path;
  for (const b of $("file-tree").querySelectorAll("button.file")) {
    if (b.dataset.path === path) b.setAttribute("aria-current", "true");
    else b.removeAttribute("aria-current");
  }
  renderFile();
  if (!$("panel-code").hidden) setQuery({ file: path });
}

// The latest version's files (after opening the project and after each job).
export async function loadFiles(wanted = "") {
  const answerFiles = await projectJson(api.files);
  if (!answerFiles) return;
  files = answerFiles.files && typeof answerFiles.files === "object" ? answerFiles.files : {};
  const paths = Object.keys(files);
  const first = wanted || selected || (files["src/App.jsx"] !== undefined ? "src/App.jsx"
                                                                          : paths.sort()[0]);
  selected = first || "";
  renderTree();
  renderFile();
}

// Each delta of the model's answer: the files it is writing, shown as they grow.
export function liveDelta(text) {
  const changed = answer.push(text);
  let treeChanged = false;
  for (const block of changed) {
    if (block.kind !== "file") continue;
    if (files[block.path] === undefined) treeChanged = true;
    files[block.path] = block.text;
    const was = writing;
    writing = block.done ? (writing === block.path ? "" : writing) : block.path;
    if (was !== writing) treeChanged = true;
    if (!pinned && !block.done) selected = block.path;
  }
  if (!changed.length) return;
  if (treeChanged) renderTree();
  if (changed.some((block) => block.path === selected)) renderFile();
}

export function fileWritten(path) {
  if (writing === path) {
    writing = "";
    renderTree();
    renderFile();
  }
}

// A new job, or one that started over: its answer is parsed from the start.
export function resetLive() {
  answer = new AnswerStream();
  writing = "";
  pinned = false;
}

export function clearCode() {
  files = {};
  selected = "";
  resetLive();
  renderTree();
  renderFile();
}

export function showFile(path) {
  if (path && files[path] !== undefined) select(path);
}
