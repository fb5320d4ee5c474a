// The work area's tabs (Preview · Code · Versions · Board · Ship), kept in the address's query so a
// reload or a shared link opens the same one.

import { $ } from "../core/dom.js";
import { setQuery } from "../core/router.js";

export const TABS = ["preview", "code", "versions", "board", "ship"];

export function showTab(name, { focus = false } = {}) {
  const tab = TABS.includes(name) ? name : "preview";
  for (const t of TABS) {
    const button = $(`tab-${t}`);
    const on = t === tab;
    button.setAttribute("aria-selected", String(on));
    button.tabIndex = on ? 0 : -1;
    $(`panel-${t}`).hidden = !on;
    if (on && focus) button.focus();
  }
  setQuery({ tab: tab === "preview" ? null : tab, v: tab === "versions" ? undefined : null,
             file: tab === "code" ? undefined : null });
}

export function wireTabs(onShow) {
  for (const name of TABS) {
    $(`tab-${name}`).addEventListener("click", () => {
      showTab(name);
      onShow(name);
    });
  }
  // Arrow keys move between tabs, as the tabs pattern has it.
  document.querySelector(".tabs").addEventListener("keydown", (e) => {
    const at = TABS.findIndex((t) => $(`tab-${t}`) === document.activeElement);
    if (at === -1) return;
    const step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
    if (!step) return;
    e.preventDefault();
    const name = TABS[(at + step + TABS.length) % TABS.length];
    showTab(name, { focus: true });
    onShow(name);
  });
}
