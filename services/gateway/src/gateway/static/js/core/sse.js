// Server-Sent Events over fetch (EventSource cannot POST or set Last-Event-ID), and following
// a stream across dropped connections from the last event seen.

import { sleep } from "./dom.js";
import { HttpError, errorFrom } from "./http.js";

const MAX_RETRIES = 10;

// Calls onEvent for each complete event until the stream ends or onEvent returns true.
export async function readSse(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let data = [];
  let eventName = "";
  let id = null;
  let stop = false;
  const dispatch = () => {
    if (data.length) stop = onEvent({ id, event: eventName || "message", data: data.join("\n") });
    data = [];
    eventName = "";
    id = null;
  };
  const takeLine = (line) => {
    if (line === "") return dispatch();
    if (line.startsWith(":")) return; // a comment, e.g. ": ping" keep-alives
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") data.push(value);
    else if (field === "event") eventName = value;
    else if (field === "id" && !value.includes("\0")) id = value;
    // "retry" and unknown fields: the reconnect policy here is our own.
  };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      // Lines end in \r\n, \n or \r; a \r at the very end may be half of a \r\n still in flight.
      let match;
      const lineEnd = /\r\n|\n|\r(?!$)/g;
      let start = 0;
      while ((match = lineEnd.exec(buffer)) !== null) {
        takeLine(buffer.slice(start, match.index));
        start = match.index + match[0].length;
        if (stop) break;
      }
      buffer = buffer.slice(start);
      if (done || stop) break;
    }
  } finally {
    if (stop) reader.cancel().catch(() => {});
  }
  // An event without its closing blank line was cut off: it is dropped, the server resends it.
}

export function eventData(ev) {
  try { return ev.data ? JSON.parse(ev.data) : {}; } catch { return { text: ev.data }; }
}

// Whether an event of `stream` was already shown; if not, it becomes the stream's last one.
export function seen(stream, ev) {
  // Event ids are a stream's sequence numbers; one that is not newer was already shown.
  if (ev.id !== null && stream.lastEventId !== null) {
    const a = Number(ev.id), b = Number(stream.lastEventId);
    if (Number.isFinite(a) && Number.isFinite(b) && a <= b) return true;
  }
  if (ev.id !== null) stream.lastEventId = ev.id;
  return false;
}

export function backoff(attempt, floorMs = 0) {
  const ms = Math.min(500 * 2 ** (attempt - 1), 10_000);
  return Math.max(floorMs, ms / 2 + Math.random() * ms / 2);
}

// Follows one event stream (a job's, a plan's build run, a project's channel) until
// `stream.finished`, reconnecting to url() — null while the stream's id is unknown — from
// Last-Event-ID. `say(text, kind)` reports trouble; a `background` stream never gives up and
// stops only on an answer that will not change (a 404). A stream whose `controller` is aborted
// (the page moved on) ends quietly.
export async function follow(stream, firstResponse, url, onEvent, what,
                             { background = false, say = () => {} } = {}) {
  let response = firstResponse;
  let retries = 0;
  while (!stream.finished) {
    const before = stream.lastEventId;
    let failure = null;
    try {
      if (!response) {
        const headers = { "Accept": "text/event-stream" };
        if (stream.lastEventId !== null) headers["Last-Event-ID"] = stream.lastEventId;
        response = await fetch(url(), { headers, cache: "no-store",
                                        signal: stream.controller?.signal });
      }
      if (!response.ok) throw await errorFrom(response);
      if (!(response.headers.get("Content-Type") || "").startsWith("text/event-stream")) {
        throw new HttpError(response.status, "the server did not answer with an event stream");
      }
      await readSse(response, onEvent);
    } catch (err) {
      failure = err;
    }
    response = null;
    if (stream.finished || stream.controller?.signal.aborted) break;
    if (failure instanceof HttpError && !failure.retryable) {
      if (!background) say(failure, "error");
      return;
    }
    if (!url()) {
      if (!background) say(`The connection dropped before the ${what} started. Try again.`,
                           "error");
      return;
    }
    // Progress since the last reconnect means the link works: start the backoff over.
    retries = stream.lastEventId !== before ? 1 : retries + 1;
    if (retries > MAX_RETRIES && !background) {
      say(`Lost the connection to the server. Reload the page to pick the ${what} up again.`,
          "error");
      return;
    }
    if (!background) say(`Connection lost; reconnecting (attempt ${retries})…`, "busy");
    await sleep(backoff(Math.min(retries, MAX_RETRIES),
                        (failure && failure.retryAfter || 0) * 1000));
  }
}
