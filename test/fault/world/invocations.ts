import { AsyncLocalStorage } from "node:async_hooks";
import http from "node:http";
import timersPromises from "node:timers/promises";
import { promisify } from "node:util";
import { sep } from "node:path";
import { mulberry32 } from "./random.js";

/**
 * Lambda invocations inside the test process. Each invocation of a shipped handler runs in an
 * AsyncLocalStorage context, so that:
 * - every HTTP request it makes (AWS SDK through node:http, Octokit through fetch) carries its id in a
 *   header, and the world's servers can refuse the requests of an invocation that "crashed";
 * - the waits of the shipped code (Octokit retry and pacing, SDK back-off) are warped: they end at once
 *   in real time, while the invocation's virtual duration grows by the wait. A wait that would run past
 *   the function timeout kills the invocation, as Lambda would.
 * Waits are recognised by the caller's file: only code loaded from an extracted zip is warped, so the
 * world, dynalite and Node's own timers keep real time.
 */

export const INVOCATION_HEADER = "x-fault-invocation";

export interface Invocation {
  readonly id: string;
  readonly fn: string;
  /** Simulated epoch ms when it started (the clock moves while it runs only under the call scheduler). */
  readonly startedAt: number;
  readonly timeoutMs: number;
  /** Longest warped wait so far, as a simulated end time. */
  waitedUntil: number;
  /** Why the world stopped it: an injected crash, or a wait beyond the timeout. */
  killed: string | undefined;
  /** Start order in the process (ties in a schedule go to the invocation that started first). */
  readonly ordinal: number;
  /** Its own Math.random stream, when the world seeds invocations (seedInvocations). */
  readonly random: (() => number) | undefined;
}

const storage = new AsyncLocalStorage<Invocation>();
const registry = new Map<string, Invocation>();
let sequence = 0;
/** The world's seed and how many invocations of each function it started (seedInvocations). */
let seeding: { readonly seed: number; readonly started: Map<string, number> } | undefined;

/**
 * Gives every invocation started from now on its own random stream, drawn from `seed`, its function
 * and its place among that function's invocations (undefined: none). Concurrent invocations then
 * draw their jitter from their own streams, not from one shared stream in whatever order they reach
 * it in real time, so a seed gives the same draws whatever the machine's load.
 */
export function seedInvocations(seed: number | undefined): void {
  seeding = seed === undefined ? undefined : { seed, started: new Map() };
}

/** A seed for the `index`-th stream named `name` of a world seeded `seed` (FNV-1a over both). */
export function streamSeed(seed: number, name: string, index: number): number {
  let hash = 0x811c9dc5 ^ seed;
  for (const char of `${name}#${index}`) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193);
  return hash >>> 0;
}

/** Math.random for a world: the running invocation's own stream, else `outside` (the world's). */
export function invocationAwareRandom(outside: () => number): () => number {
  return () => (storage.getStore()?.random ?? outside)();
}

/** Waits shorter than this run in real time (the SDK's own 0-ms yields, socket bookkeeping). */
const WARP_MIN_MS = 20;

export function currentInvocation(): Invocation | undefined {
  return storage.getStore();
}

/** The invocation that made a request, from the header the patched clients add. */
export function invocationOf(headers: Record<string, string | string[] | undefined>): Invocation | undefined {
  const id = headers[INVOCATION_HEADER];
  return typeof id === "string" ? registry.get(id) : undefined;
}

/**
 * Time left before the running invocation's timeout, on the simulated clock (its warped waits count):
 * what Lambda's `context.getRemainingTimeInMillis()` answers.
 */
export function remainingMs(): number {
  const invocation = currentInvocation();
  if (invocation === undefined) throw new Error("remainingMs: no invocation is running");
  return invocation.startedAt + invocation.timeoutMs - Math.max(Date.now(), invocation.waitedUntil);
}

export function kill(invocation: Invocation, reason: string): void {
  invocation.killed ??= reason;
}

export interface InvocationResult<T> {
  readonly value?: T;
  readonly error?: unknown;
  readonly invocation: Invocation;
  /** Simulated duration: the longest warped wait, or the clock's run under the call scheduler. */
  readonly elapsedMs: number;
}

/** `onStart` sees the invocation before its first request (the call scheduler, world/scheduler.ts). */
export async function runInvocation<T>(fn: string, timeoutMs: number, body: () => Promise<T>, onStart?: (invocation: Invocation) => void): Promise<InvocationResult<T>> {
  sequence += 1;
  const index = seeding?.started.get(fn) ?? 0;
  seeding?.started.set(fn, index + 1);
  const random = seeding === undefined ? undefined : mulberry32(streamSeed(seeding.seed, fn, index));
  const invocation: Invocation = { id: `${fn}-${sequence}`, fn, startedAt: Date.now(), timeoutMs, waitedUntil: Date.now(), killed: undefined, ordinal: sequence, random };
  registry.set(invocation.id, invocation);
  onStart?.(invocation);
  try {
    const value = await storage.run(invocation, body);
    return { value, invocation, elapsedMs: Math.max(invocation.waitedUntil, Date.now()) - invocation.startedAt };
  } catch (error) {
    return { error, invocation, elapsedMs: Math.max(invocation.waitedUntil, Date.now()) - invocation.startedAt };
  } finally {
    registry.delete(invocation.id);
  }
}

/**
 * Whether the caller is shipped code waiting on purpose. Shipped code lives in extracted zips
 * (test/helpers/shipped-zip.ts); V8 may report a bundle under the directory of an earlier copy of
 * the same source, hence the pattern rather than exact directories. The SDK's HTTP handler defers
 * socket bookkeeping through a `timing.setTimeout` wrapper: those are not waits and keep real time.
 */
function calledFromShippedCode(skip: (...args: never[]) => unknown): boolean {
  return shippedCaller(skip) === "wait";
}

/**
 * Who called: shipped code waiting on purpose ("wait"), the SDK's timer wrapper in shipped code
 * ("timer": request deadlines, socket bookkeeping), or anything else (undefined).
 */
function shippedCaller(skip: (...args: never[]) => unknown): "wait" | "timer" | undefined {
  const limit = Error.stackTraceLimit;
  const prepare = Error.prepareStackTrace;
  Error.stackTraceLimit = 1;
  Error.prepareStackTrace = (_error, frames) => frames;
  const holder: { stack?: NodeJS.CallSite[] } = {};
  Error.captureStackTrace(holder, skip);
  const frame = holder.stack?.[0];
  Error.prepareStackTrace = prepare;
  Error.stackTraceLimit = limit;
  if (!(frame?.getFileName() ?? "").includes(`${sep}self-runners-zip-`)) return undefined;
  return frame?.getFunctionName() === "setTimeout" ? "timer" : "wait";
}

/**
 * Client-side deadlines of shipped code (Octokit's AbortSignal.timeout, the SDK's requestTimeout)
 * run on the machine's clock, not the world's: under load, or while the call scheduler holds a
 * request, they would fire or not depending on the machine, not the scenario. Inside an invocation
 * they never fire; the world's latencies are simulated and the function timeout still kills an
 * invocation (warp, the call scheduler).
 */
const CLIENT_DEADLINE_MIN_MS = 1_000;
/** Longer than any world runs, in real time: the timer exists (clearTimeout works) and never fires. */
const NEVER_MS = 2_147_483_647;

/**
 * A dependency answered slowly: the invocation's simulated duration grows by `ms`, after whatever it
 * spent before (its requests are taken one after another). Past the function timeout it is killed.
 */
export function spend(invocation: Invocation, ms: number): void {
  invocation.waitedUntil = Math.max(invocation.waitedUntil, invocation.startedAt) + ms;
  if (invocation.waitedUntil - invocation.startedAt > invocation.timeoutMs) kill(invocation, `timeout: ran ${Math.round((invocation.waitedUntil - invocation.startedAt) / 1000)} s`);
}

/** Accounts a warped wait; a wait that runs past the function timeout kills the invocation. */
function warp(invocation: Invocation, delayMs: number): void {
  const end = Date.now() + delayMs;
  if (end > invocation.waitedUntil) invocation.waitedUntil = end;
  if (end - invocation.startedAt > invocation.timeoutMs) kill(invocation, `timeout: waited ${Math.round(delayMs / 1000)} s`);
}

interface Patches {
  readonly setTimeout: typeof globalThis.setTimeout;
  readonly sleep: typeof timersPromises.setTimeout;
  readonly request: typeof http.request;
  readonly fetch: typeof globalThis.fetch;
  readonly emitWarning: typeof process.emitWarning;
  readonly abortTimeout: typeof AbortSignal.timeout;
}
let installed: Patches | undefined;

/** Installs the timer and client patches (once per test file). */
export function installInvocationPatches(): void {
  if (installed !== undefined) return;
  const original: Patches = { setTimeout: globalThis.setTimeout, sleep: timersPromises.setTimeout, request: http.request, fetch: globalThis.fetch, emitWarning: process.emitWarning, abortTimeout: AbortSignal.timeout };
  installed = original;

  // Every bundled SDK copy warns once about Node 20; dozens of copies load in a run.
  process.emitWarning = function (this: unknown, warning: string | Error, ...rest: unknown[]) {
    if (String(typeof warning === "string" ? warning : warning.name).includes("NodeVersionSupportWarning") || JSON.stringify(rest).includes("NodeVersionSupportWarning")) return;
    return (original.emitWarning as (...a: unknown[]) => void).call(this, warning, ...rest);
  } as typeof process.emitWarning;

  const warpedSetTimeout = function (this: unknown, callback: (...args: unknown[]) => void, delay?: number, ...args: unknown[]) {
    const invocation = storage.getStore();
    if (invocation !== undefined && typeof delay === "number" && delay >= WARP_MIN_MS && calledFromShippedCode(warpedSetTimeout)) {
      warp(invocation, delay);
      return original.setTimeout(callback, 0, ...args);
    }
    if (invocation !== undefined && typeof delay === "number" && delay >= CLIENT_DEADLINE_MIN_MS && shippedCaller(warpedSetTimeout) === "timer") {
      return original.setTimeout(callback, NEVER_MS, ...args).unref();
    }
    return original.setTimeout(callback, delay, ...args);
  } as unknown as typeof globalThis.setTimeout;
  Object.assign(warpedSetTimeout, { [promisify.custom]: (original.setTimeout as unknown as Record<symbol, unknown>)[promisify.custom] });
  globalThis.setTimeout = warpedSetTimeout;

  const simulatedAbortTimeout = function (this: unknown, delay: number) {
    if (storage.getStore() !== undefined && shippedCaller(simulatedAbortTimeout) !== undefined) return new AbortController().signal;
    return original.abortTimeout.call(AbortSignal, delay);
  };
  AbortSignal.timeout = simulatedAbortTimeout;

  const warpedSleep = function (delay?: number, value?: unknown, options?: unknown) {
    const invocation = storage.getStore();
    if (invocation !== undefined && typeof delay === "number" && delay >= WARP_MIN_MS && calledFromShippedCode(warpedSleep)) {
      warp(invocation, delay);
      return original.sleep(0, value, options as never);
    }
    return original.sleep(delay, value, options as never);
  } as typeof timersPromises.setTimeout;
  (timersPromises as { setTimeout: typeof timersPromises.setTimeout }).setTimeout = warpedSleep;

  // The AWS SDK calls http.request(options, callback) with a headers object.
  (http as { request: typeof http.request }).request = function (this: unknown, ...args: unknown[]) {
    const invocation = storage.getStore();
    const first = args[0];
    if (invocation !== undefined && typeof first === "object" && first !== null && !(first instanceof URL)) {
      const options = first as http.RequestOptions;
      args[0] = { ...options, headers: { ...(options.headers as Record<string, string>), [INVOCATION_HEADER]: invocation.id } };
    }
    return (original.request as (...a: unknown[]) => http.ClientRequest).apply(this, args);
  } as typeof http.request;

  // Octokit calls fetch(url, init) with init.headers as an object.
  globalThis.fetch = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const invocation = storage.getStore();
    if (invocation === undefined) return original.fetch(input, init);
    const headers = new Headers(init?.headers);
    headers.set(INVOCATION_HEADER, invocation.id);
    return original.fetch(input, { ...init, headers });
  }) as typeof globalThis.fetch;
}

export function uninstallInvocationPatches(): void {
  if (installed === undefined) return;
  globalThis.setTimeout = installed.setTimeout;
  (timersPromises as { setTimeout: typeof timersPromises.setTimeout }).setTimeout = installed.sleep;
  (http as { request: typeof http.request }).request = installed.request;
  globalThis.fetch = installed.fetch;
  process.emitWarning = installed.emitWarning;
  AbortSignal.timeout = installed.abortTimeout;
  installed = undefined;
}
