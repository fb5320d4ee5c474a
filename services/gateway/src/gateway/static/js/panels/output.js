// The model's output as it streams, and the files and packages a job wrote.

import { $ } from "../core/dom.js";

const seenFiles = new Set();
const seenPackages = new Set();

export function appendOutput(text) {
  const el = $("output");
  // Follow the stream only while the reader is at the bottom, so scrolling up to read works.
  const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
  el.append(text);
  if (atBottom) el.scrollTop = el.scrollHeight;
}

export function clearOutput() {
  $("output").textContent = "";
}

export function addFile(path) {
  if (!path || seenFiles.has(path)) return;
  seenFiles.add(path);
  const li = document.createElement("li");
  li.textContent = path;
  $("files").append(li);
  $("file-count").textContent = `· ${seenFiles.size} file${seenFiles.size === 1 ? "" : "s"}`;
}

export function setFiles(paths) {
  seenFiles.clear();
  $("files").replaceChildren();
  $("file-count").textContent = "";
  paths.forEach(addFile);
}

export const fileCount = () => seenFiles.size;

export function addPackage(name) {
  if (!name || seenPackages.has(name)) return;
  seenPackages.add(name);
  const li = document.createElement("li");
  li.textContent = name;
  $("packages").append(li);
}

export function resetOutput() {
  clearOutput();
  setFiles([]);
  seenPackages.clear();
  $("packages").replaceChildren();
}
