// Routes by the History API: "/" is the projects home, "/p/<id>" a project, "/batches" the
// batches and "/b/<id>" one of them. Real paths (not "#/"), so sign-in comes back to the page
// it left, links can be shared, and Back and Forward work. A view is
// { show(params, query), hide() }.

const routes = [];
let current = null; // { view, key }

export function route(pattern, view) {
  routes.push({ pattern, view });
}

// The route of `path`, with its named groups as params, or null.
export function match(path) {
  for (const { pattern, view } of routes) {
    const found = pattern.exec(path);
    if (found) return { view, params: found.groups || {} };
  }
  return null;
}

function render() {
  const found = match(location.pathname) || match("/");
  const query = Object.fromEntries(new URLSearchParams(location.search));
  const key = `${location.pathname}`;
  if (current && (current.view !== found.view || current.key !== key)) current.view.hide();
  const same = current && current.view === found.view && current.key === key;
  current = { view: found.view, key };
  found.view.show(found.params, query, { same });
}

export function navigate(path, { replace = false } = {}) {
  if (path === location.pathname + location.search) return render();
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  render();
}

// Rewrites the query of the current page (a tab, a file) without a new history entry: a
// value of null or "" removes its parameter, undefined keeps it as it is.
export function setQuery(values) {
  const params = new URLSearchParams(location.search);
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) continue;
    if (value === null || value === "") params.delete(name);
    else params.set(name, value);
  }
  const search = params.toString();
  history.replaceState(null, "", location.pathname + (search ? `?${search}` : ""));
}

export function start() {
  addEventListener("popstate", render);
  // Links marked data-link stay in the page, unless opened in a new tab or window.
  document.addEventListener("click", (e) => {
    const link = e.target.closest && e.target.closest("a[data-link]");
    if (!link || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey ||
        e.shiftKey || e.altKey) return;
    const url = new URL(link.href, location.href);
    if (url.origin !== location.origin) return;
    e.preventDefault();
    navigate(url.pathname + url.search);
  });
  render();
}
