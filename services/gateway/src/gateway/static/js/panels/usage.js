// Costs: what the project's model calls used.

import { $, plural } from "../core/dom.js";
import { api, getJson } from "../core/http.js";
import { state } from "./state.js";

function usd(cost) {
  if (cost <= 0) return "$0";
  if (cost < 0.0001) return "< $0.0001";
  return "$" + cost.toFixed(cost < 1 ? 4 : 2);
}

function showUsage(usage) {
  const el = $("usage");
  const calls = Number(usage.calls) || 0;
  const tokens = (Number(usage.prompt_tokens) || 0) + (Number(usage.completion_tokens) || 0);
  const cost = Number(usage.cost_usd) || 0;
  // A local model or the offline generator costs nothing: say why rather than a bare $0.
  const price = cost > 0 ? usd(cost) : "local/offline: $0";
  el.textContent = calls
    ? `${plural(calls, "model call")} · ${plural(tokens, "token")} · ${price}`
    : "0 model calls · $0";
  const byModel = usage.by_model && typeof usage.by_model === "object" ? usage.by_model : {};
  const lines = Object.entries(byModel).map(([model, row]) =>
    `${model}: ${plural(Number(row && row.calls) || 0, "call")}, ` +
    `${usd(Number(row && row.cost_usd) || 0)}`);
  el.title = ["Model usage of this project", ...lines].join("\n");
  el.hidden = false;
}

let asked = 0;
export async function refreshUsage() {
  const projectId = state.projectId;
  if (!projectId) { $("usage").hidden = true; return; }
  // Answers may cross: only the last one asked is shown.
  const mine = ++asked;
  try {
    const usage = await getJson(api.usage(projectId), { signal: state.controller?.signal });
    if (mine === asked && projectId === state.projectId) showUsage(usage);
  } catch { /* costs are a side note: the last figures stay until the next refresh */ }
}

export function hideUsage() {
  asked += 1;
  $("usage").hidden = true;
}
