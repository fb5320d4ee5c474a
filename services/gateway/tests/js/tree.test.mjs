// tree.js: flat paths nested into folders, folders first, each level sorted by name.
import assert from "node:assert/strict";
import { test } from "node:test";

import { buildTree } from "../../src/gateway/static/js/lib/tree.js";

test("paths nest into folders, folders first, sorted by name at every level", () => {
  const tree = buildTree([
    "src/components/Hero.jsx", "package.json", "src/App.jsx", "index.html",
    "src/components/ui/Button.jsx", "src/index.css", "public/logo.svg", "src/api.js",
    "src/components/Footer.jsx", "README.md",
  ]);
  assert.deepEqual(tree, {
    name: "", path: "",
    dirs: [
      { name: "public", path: "public", dirs: [],
        files: [{ name: "logo.svg", path: "public/logo.svg" }] },
      { name: "src", path: "src",
        dirs: [
          { name: "components", path: "src/components",
            dirs: [
              { name: "ui", path: "src/components/ui", dirs: [],
                files: [{ name: "Button.jsx", path: "src/components/ui/Button.jsx" }] },
            ],
            files: [
              { name: "Footer.jsx", path: "src/components/Footer.jsx" },
              { name: "Hero.jsx", path: "src/components/Hero.jsx" },
            ] },
        ],
        files: [
          { name: "api.js", path: "src/api.js" },
          { name: "App.jsx", path: "src/App.jsx" },
          { name: "index.css", path: "src/index.css" },
        ] },
    ],
    files: [
      { name: "index.html", path: "index.html" },
      { name: "package.json", path: "package.json" },
      { name: "README.md", path: "README.md" },
    ],
  });
});

test("no paths give an empty root; repeats and empty segments are ignored", () => {
  assert.deepEqual(buildTree([]), { name: "", path: "", dirs: [], files: [] });
  assert.deepEqual(buildTree(undefined), { name: "", path: "", dirs: [], files: [] });
  const tree = buildTree(["a//b.js", "a/b.js", "/a/b.js", "", "/", "c/"]);
  assert.deepEqual(tree, {
    name: "", path: "",
    dirs: [{ name: "a", path: "a", dirs: [], files: [{ name: "b.js", path: "a/b.js" }] }],
    files: [{ name: "c", path: "c" }],
  });
});

test("names that differ only in case keep a stable order; a name can be file and folder", () => {
  const tree = buildTree(["b.js", "B.js", "a", "a/x.js", "A.md"]);
  assert.deepEqual(tree.files.map((f) => f.name), ["a", "A.md", "B.js", "b.js"]);
  assert.deepEqual(tree.dirs.map((d) => d.path), ["a"]);
  // The result is plain data: no lookup maps left behind.
  assert.deepEqual(Object.keys(tree.dirs[0]).sort(), ["dirs", "files", "name", "path"]);
});

test("every path given appears exactly once in the tree", () => {
  const paths = [];
  for (let i = 0; i < 300; i += 1) paths.push(`src/d${i % 7}/e${i % 3}/f${i}.jsx`);
  const found = [];
  const walk = (dir) => {
    for (const sub of dir.dirs) walk(sub);
    for (const file of dir.files) found.push(file.path);
  };
  walk(buildTree(paths));
  assert.deepEqual(found.sort(), [...paths].sort());
});
