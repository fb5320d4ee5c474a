// A modal question (the page's own <dialog>, so it can be styled, labelled and tested):
// returns true (OK), the text typed (with a field), or null (Cancel, Escape). Focus goes back
// to where it was.

import { $ } from "./dom.js";

export function ask({ heading, text = "", field = null, value = "", ok = "OK", danger = false }) {
  const dialog = $("confirm-dialog");
  const input = $("confirm-input");
  const okButton = $("confirm-ok");
  const before = document.activeElement;
  $("confirm-heading").textContent = heading;
  $("confirm-text").textContent = text;
  $("confirm-field-label").hidden = !field;
  $("confirm-field-label").textContent = field || "";
  input.hidden = !field;
  input.value = value;
  okButton.textContent = ok;
  okButton.className = danger ? "danger" : "primary";
  return new Promise((resolve) => {
    const done = (answer) => {
      $("confirm-form").removeEventListener("submit", onSubmit);
      $("confirm-cancel").removeEventListener("click", onCancel);
      dialog.removeEventListener("cancel", onCancel);
      dialog.close();
      if (before && before.focus) before.focus();
      resolve(answer);
    };
    const onSubmit = (e) => {
      e.preventDefault();
      if (field) {
        const typed = input.value.trim();
        if (!typed) { input.focus(); return; }
        done(typed);
      } else {
        done(true);
      }
    };
    const onCancel = (e) => { e.preventDefault(); done(null); };
    $("confirm-form").addEventListener("submit", onSubmit);
    $("confirm-cancel").addEventListener("click", onCancel);
    dialog.addEventListener("cancel", onCancel);
    dialog.showModal();
    (field ? input : okButton).focus();
    if (field) input.select();
  });
}
