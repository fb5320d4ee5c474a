// The studio's entry (a module file: the page's CSP allows no inline script). Finds out who
// is signed in, then shows the page the address names.

import { showAccount, showSignIn, whoAmI, wireAccount } from "./account.js";
import { route, start } from "./core/router.js";
import { notify, wireNotice } from "./core/status.js";
import * as store from "./core/store.js";
import { wireTheme } from "./theme.js";
import { batch } from "./views/batch.js";
import { batches } from "./views/batches.js";
import { home } from "./views/home.js";
import { project } from "./views/project.js";

route(/^\/$/, home);
route(/^\/p\/(?<id>[A-Za-z0-9_-]{1,64})\/?$/, project);
route(/^\/batches\/?$/, batches);
route(/^\/b\/(?<id>[A-Za-z0-9_-]{1,64})\/?$/, batch);

// A failure nothing else caught still reaches the person, in words, not only the console.
addEventListener("unhandledrejection", (e) => {
  if (e.reason && e.reason.name === "AbortError") return;
  notify(e.reason);
});

wireTheme();
wireNotice();
wireAccount();

const me = await whoAmI();
if (me === null) {
  showSignIn();
} else {
  store.adopt(String(me.id || ""));
  showAccount(me);
  start();
}
