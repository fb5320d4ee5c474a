// What the Ship tab does in the background: follow a job by its id (a publish, a git sync) as
// the page follows its other jobs, and refresh a section once however many events ask for it.

import { api } from "../core/http.js";
import { eventData, follow, seen } from "../core/sse.js";

const ENDS = new Set(["complete", "error", "cancelled"]);

// Calls onEvent(name, data) for each event of job `jobId` from its first, across dropped
// connections, until its end; `say(what, kind)` reports a connection lost or refused. Stops
// quietly when `controller` is aborted. True when the job's end was seen.
export async function followJob(jobId, controller, onEvent, what, say) {
  const stream = { lastEventId: null, finished: false, controller };
  await follow(stream, null, () => api.jobEvents(jobId), (ev) => {
    if (controller.signal.aborted) return true;
    if (seen(stream, ev)) return false;
    if (ENDS.has(ev.event)) stream.finished = true;
    onEvent(ev.event, eventData(ev));
    return stream.finished;
  }, what, { say });
  return stream.finished;
}

// `load` wrapped so that calls while it runs make one more run after it, not one each: a
// burst of events (a channel replayed from its start) asks the server once or twice.
export function coalesced(load) {
  let running = null;
  let again = false;
  return function refresh() {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await load();
        } while (again);
      } finally {
        running = null;
      }
    })();
    return running;
  };
}
