// Below 860 px the project page shows the chat or the work area, not both: a two-button
// switch at its top. Wider screens show both and hide the switch (CSS).

import { $ } from "../core/dom.js";

// "chat" or "main".
export function showView(which) {
  const view = which === "main" ? "main" : "chat";
  $("workspace").dataset.show = view;
  $("show-chat").setAttribute("aria-pressed", String(view === "chat"));
  $("show-main").setAttribute("aria-pressed", String(view === "main"));
}

export function wireLayout() {
  $("show-chat").addEventListener("click", () => showView("chat"));
  $("show-main").addEventListener("click", () => showView("main"));
}
