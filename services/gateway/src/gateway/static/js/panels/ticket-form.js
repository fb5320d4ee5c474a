// Changing the board: Edit and Add ticket share one form; Remove asks first.

import { $, make, str } from "../core/dom.js";
import { ask } from "../core/dialog.js";
import { api } from "../core/http.js";
import { errorText, setStatus } from "../core/status.js";
import { planCall, planRequest } from "./board.js";
import { boardFrozen, state } from "./state.js";

// The ticket the form changes (null: the form adds one), and the form's values as it opened,
// so Save sends only what was changed.
const ticketForm = { key: null, before: null };

function ticketValues() {
  const text = (id) => $(id).value.trim();
  return {
    title: text("ticket-title"), description: text("ticket-description"),
    acceptance: text("ticket-acceptance"), type: $("ticket-type").value,
    priority: $("ticket-priority").value, complexity: $("ticket-complexity").value,
    depends_on: [...$("ticket-needs").querySelectorAll("input:checked")].map((box) => box.value),
    files: $("ticket-files").value.split("\n").map((line) => line.trim()).filter(Boolean),
  };
}

// A value the list does not offer (from an older plan) is added for this ticket, so keeping
// it is no change.
function choose(select, value, fallback) {
  for (const option of select.querySelectorAll("option.extra")) option.remove();
  const wanted = str(value) || fallback;
  if (![...select.options].some((option) => option.value === wanted)) {
    select.append(make("option", "extra", wanted));
  }
  select.value = wanted;
}

// One box per other ticket, and per key it needs that the board does not have.
function needsBoxes(key, needs) {
  const tickets = state.plan.tickets;
  const keys = [...tickets.keys()].filter((k) => k !== key);
  for (const k of needs) if (!keys.includes(k)) keys.push(k);
  if (!keys.length) return [make("span", "hint", "No other ticket.")];
  return keys.map((k) => {
    const label = make("label");
    const box = make("input");
    box.type = "checkbox";
    box.value = k;
    box.checked = needs.includes(k);
    const title = str(tickets.get(k)?.title);
    label.append(box, make("span", "", title ? `${k} · ${title}` : k));
    return label;
  });
}

// Opens the form on ticket `key`, or empty for a new ticket (key null).
export function openTicketForm(key) {
  if (boardFrozen()) return;
  const ticket = key === null ? {} : state.plan.tickets.get(key);
  if (!ticket) return;
  ticketForm.key = key;
  $("ticket-dialog-heading").textContent = key === null ? "New ticket" : `Edit ${key}`;
  $("ticket-save").textContent = key === null ? "Add" : "Save";
  $("ticket-title").value = str(ticket.title);
  $("ticket-description").value = str(ticket.description);
  $("ticket-acceptance").value = str(ticket.acceptance);
  choose($("ticket-type"), ticket.type, "feature");
  choose($("ticket-priority"), ticket.priority, "medium");
  choose($("ticket-complexity"), ticket.complexity, "M");
  const needs = Array.isArray(ticket.depends_on) ? ticket.depends_on.map(str).filter(Boolean) : [];
  $("ticket-needs").replaceChildren(...needsBoxes(key, needs));
  const files = Array.isArray(ticket.files) ? ticket.files.map(str).filter(Boolean) : [];
  $("ticket-files").value = files.join("\n");
  $("ticket-error").textContent = "";
  $("ticket-save").disabled = false;
  ticketForm.before = ticketValues();
  $("ticket-dialog").showModal();
  $("ticket-title").focus();
}

// Save: a new ticket is POSTed whole, a changed one PATCHed with the fields changed. The form
// stays open with the server's reason when it refuses.
async function saveTicket() {
  const plan = state.plan;
  const key = ticketForm.key;
  const values = ticketValues();
  let url = api.tickets(plan.id);
  let body = values;
  if (key !== null) {
    url = api.ticket(plan.id, key);
    body = Object.fromEntries(Object.entries(values).filter(
      ([field, value]) => JSON.stringify(value) !== JSON.stringify(ticketForm.before[field])));
    if (!Object.keys(body).length) {
      $("ticket-dialog").close();
      return;
    }
  }
  $("ticket-save").disabled = true;
  $("ticket-error").textContent = "";
  let data;
  try {
    data = await planCall(key === null ? "POST" : "PATCH", url, body);
  } catch (err) {
    $("ticket-error").textContent = errorText(err);
    return;
  } finally {
    $("ticket-save").disabled = false;
  }
  $("ticket-dialog").close();
  if (key !== null) {
    setStatus(`${key} saved.`, "");
    return;
  }
  const added = Array.isArray(data.tickets) && data.tickets.length
    ? str(data.tickets[data.tickets.length - 1].key) : "";
  const next = plan.state === "running" ? "the build picks it up"
             : plan.state === "planned" ? "press Build to build it" : "Resume to build it";
  setStatus(`${added || "The ticket"} added to the backlog; ${next}.`, "");
}

export async function removeTicket(key) {
  if (boardFrozen()) return;
  const title = str(state.plan.tickets.get(key)?.title);
  const sure = await ask({ heading: `Remove ${key}${title ? ` (${title})` : ""} from the plan?`,
                           ok: "Remove", danger: true });
  if (!sure) return;
  const data = await planRequest(api.ticket(state.plan.id, key), `Could not remove ${key}`,
                                 "DELETE");
  if (data) setStatus(`${key} removed from the plan.`, "");
}

export function wireTicketForm() {
  $("ticket-form").addEventListener("submit", (e) => {
    e.preventDefault();
    saveTicket();
  });
  $("ticket-cancel").addEventListener("click", () => $("ticket-dialog").close());
}
