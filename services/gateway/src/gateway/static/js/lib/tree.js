// The project's file list as folders and files, for the code view's tree. Pure: no DOM, so
// node tests it.

/**
 * @typedef {object} FileNode
 * @property {string} name the last segment ("App.jsx")
 * @property {string} path the whole path, as given ("src/App.jsx")
 */

/**
 * @typedef {object} DirNode
 * @property {string} name the folder's own name ("" for the root)
 * @property {string} path the folder's path ("src/components"; "" for the root)
 * @property {DirNode[]} dirs sub-folders, sorted by name
 * @property {FileNode[]} files files, sorted by name
 */

/**
 * Nest flat paths into folders: folders first, each level sorted by name (ignoring case, so
 * "App.jsx" and "api.js" sit together, with the exact text as the tie-break).
 *
 * @param {Iterable<string>} paths project paths such as "src/components/Hero.jsx"; empty
 *   segments ("a//b", a trailing "/") are ignored, and a path given twice appears once
 * @returns {DirNode} the root folder
 */
export function buildTree(paths) {
  const root = newDir("", "");
  const seen = new Set();
  for (const raw of paths ?? []) {
    const parts = String(raw).split("/").filter(Boolean);
    if (!parts.length) continue;
    const path = parts.join("/");
    if (seen.has(path)) continue;
    seen.add(path);
    let dir = root;
    for (const name of parts.slice(0, -1)) {
      let child = dir.index.get(name);
      if (!child) {
        child = newDir(name, dir.path ? `${dir.path}/${name}` : name);
        dir.index.set(name, child);
        dir.dirs.push(child);
      }
      dir = child;
    }
    dir.files.push({ name: parts[parts.length - 1], path });
  }
  return finish(root);
}

function newDir(name, path) {
  return { name, path, dirs: [], files: [], index: new Map() };
}

/** Compare names for display: case-insensitive first, then exact. */
export function byName(a, b) {
  const x = a.name.toLowerCase();
  const y = b.name.toLowerCase();
  if (x !== y) return x < y ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

// Sort every level and drop the lookup map, leaving plain data.
function finish(dir) {
  return {
    name: dir.name,
    path: dir.path,
    dirs: dir.dirs.sort(byName).map(finish),
    files: dir.files.sort(byName),
  };
}
