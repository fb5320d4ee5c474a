// errors.js: every failure in plain words with a next step.
import assert from "node:assert/strict";
import { test } from "node:test";

import { explain } from "../../src/gateway/static/js/core/errors.js";

const http = (status, detail, retryAfter = 0) => ({ status, detail, retryAfter });

test("401: signed out, with a way to sign in", () => {
  assert.deepEqual(explain(http(401, "Not signed in")), {
    text: "You are signed out. Sign in to go on.",
    action: { label: "Sign in", kind: "sign-in" }, retryAfter: null });
});

test("402: the budget is spent, with the costs", () => {
  const e = explain(http(402, "budget exceeded"));
  assert.ok(e.text.startsWith("The model budget is spent."));
  assert.deepEqual(e.action, { label: "See costs", kind: "costs" });
});

test("404: a project sends you home; anything else is named", () => {
  assert.deepEqual(explain(http(404, "Project not found")), {
    text: "This project doesn't exist or isn't yours.",
    action: { label: "Back to projects", kind: "home" }, retryAfter: null });
  const version = explain(http(404, "Version 9 not found."), "version");
  assert.equal(version.text, "This version doesn't exist (any more): Version 9 not found. " +
                             "Reload to see what there is now.");
  assert.equal(version.action.kind, "reload");
  assert.equal(explain(http(404, ""), "plan").text,
               "This plan doesn't exist (any more). Reload to see what there is now.");
});

test("409: it had already finished", () => {
  const e = explain(http(409, "job already finished"));
  assert.ok(e.text.startsWith("That had already finished."));
  assert.equal(e.action.kind, "reload");
});

test("413: too large, with the server's limit", () => {
  const e = explain(http(413, "The prompt is longer than 20000 characters."));
  assert.equal(e.text, "That is too large: The prompt is longer than 20000 characters. " +
                       "Make it shorter and try again.");
  assert.equal(e.action, null);
});

test("422: the field and FastAPI's message", () => {
  const e = explain(http(422, [{ type: "string_too_short", loc: ["body", "prompt"],
                                 msg: "String should have at least 1 character", input: "" }]));
  assert.equal(e.text,
               "prompt: String should have at least 1 character. Correct it and try again.");
  const two = explain(http(422, [
    { loc: ["query", "limit"], msg: "Input should be a valid integer" },
    { loc: ["body", "model", "name"], msg: "Field required" }]));
  assert.equal(two.text, "limit: Input should be a valid integer; model.name: Field required. " +
                         "Correct it and try again.");
  assert.equal(explain(http(422, "name is empty")).text,
               "name is empty. Correct it and try again.");
  assert.equal(explain(http(422, undefined)).text, "Please check what you entered and try again.");
});

test("429: too many requests, with the seconds to wait for a countdown", () => {
  const e = explain(http(429, "slow down", 12));
  assert.deepEqual(e, { text: "Too many requests: try again in 12 s.",
                        action: { label: "Try again", kind: "retry" }, retryAfter: 12 });
  const unknown = explain(http(429, "slow down", 0));
  assert.equal(unknown.retryAfter, null);
  assert.equal(unknown.text, "Too many requests: wait a moment and try again.");
  assert.equal(explain(http(429, "", 2.2)).retryAfter, 3);
});

test("503: no generator, and how to check", () => {
  const e = explain(http(503, "no generator answered"));
  assert.equal(e.text, "No generator is running; is `make run` still up?");
  assert.equal(e.action.kind, "retry");
});

test("500 and other server errors: the detail and a retry", () => {
  const e = explain(http(500, "database is locked"));
  assert.equal(e.text,
               "Something went wrong on the server: database is locked. Try again in a moment.");
  assert.equal(e.action.kind, "retry");
  assert.equal(explain(http(502, "")).text,
               "Something went wrong on the server: error 502. Try again in a moment.");
  // http.js's HttpError: the detail, or else its message without the status.
  const fromMessage = Object.assign(new Error("500: boom"), { status: 500 });
  assert.equal(explain(fromMessage).text,
               "Something went wrong on the server: boom. Try again in a moment.");
  const long = explain(http(500, "x".repeat(1000)));
  assert.ok(long.text.length < 320);
});

test("other refusals use the server's words", () => {
  assert.equal(explain(http(400, "Unknown model 'x'.")).text,
               "The request was refused (400): Unknown model 'x'.");
  assert.equal(explain(http(403, { message: "not allowed" })).text,
               "The request was refused (403): not allowed.");
});

test("network: can't reach Paynto, retrying", () => {
  const e = explain({ network: true });
  assert.equal(e.text, "Can't reach Paynto; retrying…");
  assert.equal(e.action.kind, "retry");
  assert.equal(explain(new TypeError("Failed to fetch")).text, "Can't reach Paynto; retrying…");
});

test("anything else: an error in the page, with a reload", () => {
  for (const err of [new Error("x is undefined"), null, undefined, "odd"]) {
    const e = explain(err);
    assert.ok(e.text.startsWith("Something went wrong in the page"), String(err));
    assert.equal(e.action.kind, "reload");
    assert.equal(e.retryAfter, null);
  }
});

test("every explanation is plain text with a next step in words or an action", () => {
  for (const status of [400, 401, 402, 403, 404, 408, 409, 413, 422, 429, 500, 502, 503, 504]) {
    const e = explain(http(status, "detail"));
    assert.equal(typeof e.text, "string");
    assert.ok(e.text.length > 10 && !e.text.includes("undefined") && !e.text.includes("[object"));
    if (e.action) {
      assert.ok(["sign-in", "costs", "home", "retry", "reload"].includes(e.action.kind));
      assert.ok(e.action.label);
    }
  }
});
