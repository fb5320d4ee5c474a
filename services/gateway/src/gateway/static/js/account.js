// Who is signed in: the gateway's answer, the sign-in card, the account chip and signing out.

import { $, str } from "./core/dom.js";
import { api } from "./core/http.js";
import * as store from "./core/store.js";

// The signed-in user ({id, name, role, github_login, auth_mode}), or null when the gateway
// wants a sign-in (401). A gateway that cannot say (an older one: 404; down: 5xx or no answer)
// is taken as a local one: the API's own answers then say what is wrong.
export async function whoAmI() {
  let response;
  try {
    response = await fetch(api.me, { headers: { "Accept": "application/json" },
                                     cache: "no-store" });
  } catch {
    return { auth_mode: "local" };
  }
  if (response.status === 401) return null;
  if (!response.ok) return { auth_mode: "local" };
  try { return await response.json(); } catch { return { auth_mode: "local" }; }
}

// Instead of any view: the sign-in card, coming back to this page once signed in.
export function showSignIn() {
  for (const id of ["home", "workspace", "missing"]) $(id).hidden = true;
  const next = location.pathname + location.search;
  $("sign-in-link").href = `/api/auth/github/login?next=${encodeURIComponent(next)}`;
  $("sign-in").hidden = false;
}

let accounts = false;

// Whether people sign in (with GitHub) on this gateway: then a page may offer GitHub sign-in
// to connect GitHub, as the account chip shows it.
export const githubSignIn = () => accounts;

// With accounts, who is signed in; a local gateway has one user and shows nothing.
export function showAccount(me) {
  accounts = me.auth_mode === "required";
  if (!accounts) return;
  $("account-name").textContent = str(me.name) || str(me.github_login);
  $("account-name").title = str(me.github_login) ? `GitHub: ${me.github_login}` : "";
  $("account").hidden = false;
}

async function signOut() {
  $("sign-out").disabled = true;
  try {
    await fetch(api.logout, { method: "POST", headers: { "Accept": "application/json" } });
  } catch { /* the reload shows whether the session ended */ }
  // The next person on this browser must not get this one's projects, drafts or links.
  store.forget();
  location.href = "/";
}

export function wireAccount() {
  $("sign-out").addEventListener("click", signOut);
}
