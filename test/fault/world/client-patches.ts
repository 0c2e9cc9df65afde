import { subscribe, unsubscribe } from "node:diagnostics_channel";
import http from "node:http";
import crypto, { webcrypto } from "node:crypto";
import timersPromises from "node:timers/promises";
import { promisify } from "node:util";
import { traceCall } from "./call-trace.js";
import { addDeadline, dropDeadline } from "./deadlines.js";
import type { ClientDeadline } from "./deadlines.js";
import { INVOCATION_HEADER, REQUEST_HEADER, currentInvocation, invocationNow, noteActivity, shippedCaller, warp } from "./invocations.js";
import type { Invocation } from "./invocations.js";
import { uuidFrom } from "./random.js";
import { HTTP1_REQUEST_END, HTTP1_REQUEST_START } from "../../../lambdas/webhook/adapters/http1-pool.js";
import type { Http1RequestMessage } from "../../../lambdas/webhook/adapters/http1-pool.js";

/**
 * The patches that tie shipped code running in an invocation (invocations.ts) to the world:
 * - requests (AWS SDK through node:http, the webhook's signed calls through its socket pool's
 *   diagnostics channels, Octokit through fetch) carry the invocation's id and their
 *   own number, and count as the invocation's work until the answer is read back;
 * - waits of shipped code are warped (they end at once in real time, the invocation's simulated time
 *   grows), and they and every short timer of an invocation count as its work until they fire;
 * - WebCrypto operations (the App's JWT) count as its work until they end, and its random UUIDs (claim
 *   tokens, client tokens) come from its own seeded stream;
 * - client deadlines (Octokit's AbortSignal.timeout, the SDK's requestTimeout, the webhook socket
 *   pool's request timeout) are due on the world's
 *   clock (deadlines.ts), never on the machine's.
 * The call scheduler lets the world go on only when no invocation has work under way except requests
 * waiting at a server: what happens next then depends on the schedule, not on the machine's load.
 */

/** Waits shorter than this run in real time (the SDK's own 0-ms yields, socket bookkeeping). */
const WARP_MIN_MS = 20;
/** The SDK's timer wrapper is used for deadlines and socket bookkeeping of a second or more. */
const CLIENT_DEADLINE_MIN_MS = 1_000;
/** Longer than any world runs, in real time: the timer exists (clearTimeout works) and never fires. */
const NEVER_MS = 2_147_483_647;
/** Statuses whose answer has no body (the Response constructor refuses one). */
const NULL_BODY = new Set([101, 204, 205, 304]);
const SUBTLE_METHODS = ["sign", "verify", "importKey", "exportKey", "digest", "encrypt", "decrypt", "generateKey", "deriveBits"] as const;

let requestNumber = 0;
/** What clearTimeout must undo for a tracked timer, by timer id. */
const onClear = new Map<number, () => void>();
/** Octokit's deadlines, by the signal they abort. */
const signalDeadlines = new WeakMap<AbortSignal, ClientDeadline>();

/** Work of `invocation` under way; the returned function ends it (once). */
function startWork(invocation: Invocation): () => void {
  invocation.otherWork += 1;
  noteActivity();
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    invocation.otherWork -= 1;
    noteActivity();
  };
}

/** A request of `invocation` under way: its number, and the function that ends it (once). */
function startRequest(invocation: Invocation): { readonly id: number; readonly end: () => void } {
  requestNumber += 1;
  const id = requestNumber;
  invocation.requests.add(id);
  noteActivity();
  let ended = false;
  return {
    id,
    end: () => {
      if (ended) return;
      ended = true;
      invocation.requests.delete(id);
      noteActivity();
    },
  };
}

interface Patches {
  readonly setTimeout: typeof globalThis.setTimeout;
  readonly clearTimeout: typeof globalThis.clearTimeout;
  readonly sleep: typeof timersPromises.setTimeout;
  readonly request: typeof http.request;
  readonly fetch: typeof globalThis.fetch;
  readonly emitWarning: typeof process.emitWarning;
  readonly abortTimeout: typeof AbortSignal.timeout;
  readonly randomUUID: typeof crypto.randomUUID;
}
let installed: Patches | undefined;

/** Installs the timer and client patches (once per test file). */
export function installInvocationPatches(): void {
  if (installed !== undefined) return;
  const original: Patches = {
    setTimeout: globalThis.setTimeout,
    clearTimeout: globalThis.clearTimeout,
    sleep: timersPromises.setTimeout,
    request: http.request,
    fetch: globalThis.fetch,
    emitWarning: process.emitWarning,
    abortTimeout: AbortSignal.timeout,
    randomUUID: crypto.randomUUID,
  };
  installed = original;

  // Every bundled SDK copy warns once about Node 20; dozens of copies load in a run.
  process.emitWarning = function (this: unknown, warning: string | Error, ...rest: unknown[]) {
    if (String(typeof warning === "string" ? warning : warning.name).includes("NodeVersionSupportWarning") || JSON.stringify(rest).includes("NodeVersionSupportWarning")) return;
    return (original.emitWarning as (...a: unknown[]) => void).call(this, warning, ...rest);
  } as typeof process.emitWarning;

  /** A timer that counts as the invocation's work until it fires or is cleared. */
  const tracked = (invocation: Invocation, callback: (...args: unknown[]) => void, delay: number | undefined, args: unknown[]): NodeJS.Timeout => {
    const end = startWork(invocation);
    const handle = original.setTimeout((...a: unknown[]) => {
      onClear.delete(Number(handle));
      end();
      callback(...a);
    }, delay, ...args);
    onClear.set(Number(handle), end);
    return handle;
  };

  const patchedSetTimeout = function (this: unknown, callback: (...args: unknown[]) => void, delay?: number, ...args: unknown[]) {
    const invocation = currentInvocation();
    if (invocation === undefined || typeof callback !== "function") return original.setTimeout(callback, delay, ...args);
    if (typeof delay !== "number" || delay < WARP_MIN_MS) return tracked(invocation, callback, delay, args);
    const caller = shippedCaller(patchedSetTimeout);
    if (caller?.kind === "wait") {
      warp(invocation, delay);
      return tracked(invocation, callback, 0, args);
    }
    if (caller?.kind === "timer" && delay >= CLIENT_DEADLINE_MIN_MS) {
      // Socket bookkeeping never fires; the request deadline fires on the world's clock.
      const handle = original.setTimeout(callback, NEVER_MS, ...args).unref();
      if (caller.by === "setRequestTimeout" || caller.by === "armRequestTimeout") {
        const what = caller.by === "setRequestTimeout" ? "sdk requestTimeout" : "webhook request timeout";
        const deadline = addDeadline({ invocation, at: invocationNow(invocation) + delay, what, fire: () => (original.clearTimeout(handle), callback(...args)) });
        onClear.set(Number(handle), () => dropDeadline(deadline));
      }
      return handle;
    }
    return original.setTimeout(callback, delay, ...args);
  } as unknown as typeof globalThis.setTimeout;
  Object.assign(patchedSetTimeout, { [promisify.custom]: (original.setTimeout as unknown as Record<symbol, unknown>)[promisify.custom] });
  globalThis.setTimeout = patchedSetTimeout;

  globalThis.clearTimeout = function (handle?: NodeJS.Timeout | string | number) {
    if (handle !== undefined && handle !== null) {
      const id = Number(handle);
      const undo = onClear.get(id);
      onClear.delete(id);
      undo?.();
    }
    return original.clearTimeout(handle);
  } as typeof globalThis.clearTimeout;

  const simulatedAbortTimeout = function (this: unknown, delay: number) {
    const invocation = currentInvocation();
    if (invocation === undefined || shippedCaller(simulatedAbortTimeout) === undefined) return original.abortTimeout.call(AbortSignal, delay);
    const controller = new AbortController();
    const deadline = addDeadline({
      invocation,
      at: invocationNow(invocation) + delay,
      what: "github request timeout",
      fire: () => controller.abort(new DOMException("The operation was aborted due to timeout", "TimeoutError")),
    });
    signalDeadlines.set(controller.signal, deadline);
    return controller.signal;
  };
  AbortSignal.timeout = simulatedAbortTimeout;

  const patchedSleep = function (delay?: number, value?: unknown, options?: unknown) {
    const invocation = currentInvocation();
    if (invocation === undefined) return original.sleep(delay, value, options as never);
    const wait = typeof delay === "number" && delay >= WARP_MIN_MS && shippedCaller(patchedSleep)?.kind === "wait";
    if (typeof delay === "number" && delay >= WARP_MIN_MS && !wait) return original.sleep(delay, value, options as never);
    if (wait) warp(invocation, delay as number);
    const end = startWork(invocation);
    return original.sleep(wait ? 0 : delay, value, options as never).finally(end);
  } as typeof timersPromises.setTimeout;
  (timersPromises as { setTimeout: typeof timersPromises.setTimeout }).setTimeout = patchedSleep;

  // The AWS SDK calls http.request(options, callback) with a headers object.
  (http as { request: typeof http.request }).request = function (this: unknown, ...args: unknown[]) {
    const invocation = currentInvocation();
    const first = args[0];
    if (invocation === undefined || typeof first !== "object" || first === null || first instanceof URL) return (original.request as (...a: unknown[]) => http.ClientRequest).apply(this, args);
    const request = startRequest(invocation);
    const options = first as http.RequestOptions;
    args[0] = { ...options, headers: { ...(options.headers as Record<string, string>), [INVOCATION_HEADER]: invocation.id, [REQUEST_HEADER]: String(request.id) } };
    const req = (original.request as (...a: unknown[]) => http.ClientRequest).apply(this, args);
    // Under way until the answer is read to its end, or the request failed.
    let answered = false;
    req.once("response", (res: http.IncomingMessage) => {
      answered = true;
      for (const event of ["end", "close", "error"]) res.once(event, request.end);
    });
    req.once("error", request.end);
    req.once("error", (error: NodeJS.ErrnoException) => traceCall(() => `client error ${invocation.id} ${String(options.path)} ${error.code ?? ""} ${error.message}`));
    req.once("close", () => answered || request.end());
    return req;
  } as typeof http.request;

  // The webhook's signed calls (lambdas/webhook/adapters/http1-pool.ts) publish each request's start and end.
  subscribe(HTTP1_REQUEST_START, onHttp1Start);
  subscribe(HTTP1_REQUEST_END, onHttp1End);

  // Octokit calls fetch(url, init) with init.headers as an object. The answer is read here, so that the
  // request ends where the scheduler can see it, not somewhere in Octokit's reading of a stream.
  globalThis.fetch = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const invocation = currentInvocation();
    if (invocation === undefined) return original.fetch(input, init);
    const request = startRequest(invocation);
    const deadline = init?.signal === undefined || init.signal === null ? undefined : signalDeadlines.get(init.signal);
    if (deadline !== undefined) deadline.request = request.id;
    const headers = new Headers(init?.headers);
    headers.set(INVOCATION_HEADER, invocation.id);
    headers.set(REQUEST_HEADER, String(request.id));
    try {
      const response = await original.fetch(input, { ...init, headers });
      const body = NULL_BODY.has(response.status) ? null : await response.arrayBuffer();
      const copy = new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
      Object.defineProperty(copy, "url", { value: response.url });
      return copy;
    } finally {
      if (deadline !== undefined) dropDeadline(deadline);
      request.end();
    }
  }) as typeof globalThis.fetch;

  crypto.randomUUID = function (options?: crypto.RandomUUIDOptions) {
    const random = currentInvocation()?.random;
    return random === undefined ? original.randomUUID.call(crypto, options) : (uuidFrom(random) as ReturnType<typeof crypto.randomUUID>);
  };

  // The App's JWT is signed with WebCrypto (universal-github-app-jwt): work on the thread pool.
  const subtle = webcrypto.subtle as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const method of SUBTLE_METHODS) {
    const plain = subtle[method] as (...args: unknown[]) => Promise<unknown>;
    subtle[method] = function (...args: unknown[]) {
      const invocation = currentInvocation();
      if (invocation === undefined) return plain.apply(webcrypto.subtle, args);
      return plain.apply(webcrypto.subtle, args).finally(startWork(invocation));
    };
  }
}

/** Ends of the webhook pool's requests under way, by their channel message. */
const http1Ends = new WeakMap<object, () => void>();

function onHttp1Start(message: unknown): void {
  const invocation = currentInvocation();
  if (invocation === undefined) return;
  const request = startRequest(invocation);
  const { headers } = message as Http1RequestMessage;
  headers[INVOCATION_HEADER] = invocation.id;
  headers[REQUEST_HEADER] = String(request.id);
  // Under way until the answer is read to its end, or the request failed.
  http1Ends.set(message as object, request.end);
}

function onHttp1End(message: unknown): void {
  http1Ends.get(message as object)?.();
  http1Ends.delete(message as object);
}

export function uninstallInvocationPatches(): void {
  if (installed === undefined) return;
  unsubscribe(HTTP1_REQUEST_START, onHttp1Start);
  unsubscribe(HTTP1_REQUEST_END, onHttp1End);
  globalThis.setTimeout = installed.setTimeout;
  globalThis.clearTimeout = installed.clearTimeout;
  (timersPromises as { setTimeout: typeof timersPromises.setTimeout }).setTimeout = installed.sleep;
  (http as { request: typeof http.request }).request = installed.request;
  globalThis.fetch = installed.fetch;
  process.emitWarning = installed.emitWarning;
  AbortSignal.timeout = installed.abortTimeout;
  crypto.randomUUID = installed.randomUUID;
  const subtle = webcrypto.subtle as unknown as Record<string, unknown>;
  for (const method of SUBTLE_METHODS) delete subtle[method];
  onClear.clear();
  installed = undefined;
}
