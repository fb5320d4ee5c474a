// Light, dark, or the system's choice (the default), remembered on this browser.

import { $ } from "./core/dom.js";
import * as store from "./core/store.js";

const ORDER = ["auto", "light", "dark"];

function apply(theme) {
  const root = document.documentElement;
  if (theme === "auto") delete root.dataset.theme;
  else root.dataset.theme = theme;
  const button = $("theme");
  button.textContent = `Theme: ${theme}`;
  button.setAttribute("aria-label", theme === "auto" ? "Colour theme: follows the system"
                                                     : `Colour theme: ${theme}`);
}

export function wireTheme() {
  const saved = store.load().theme;
  let theme = ORDER.includes(saved) ? saved : "auto";
  apply(theme);
  $("theme").addEventListener("click", () => {
    theme = ORDER[(ORDER.indexOf(theme) + 1) % ORDER.length];
    store.save({ theme });
    apply(theme);
  });
}
