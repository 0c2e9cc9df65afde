import { AsyncLocalStorage } from "node:async_hooks";
import { sep } from "node:path";
import { traceCall } from "./call-trace.js";
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
 * world, dynalite and Node's own timers keep real time. The patches themselves: client-patches.ts.
 */

export const INVOCATION_HEADER = "x-fault-invocation";
/** Each request of an invocation is numbered in the order the client issued it (client-patches.ts). */
export const REQUEST_HEADER = "x-fault-request";

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
  /**
   * Its requests under way: issued by the client and not yet answered and read back (by number,
   * REQUEST_HEADER). The call scheduler waits until every one of them waits at a server.
   */
  readonly requests: Set<number>;
  /** Other work under way that ends without a server: warped and short timers, WebCrypto operations. */
  otherWork: number;
}

let activityListener: (() => void) | undefined;

/** `listener` hears every start and end of an invocation's work (the call scheduler's wake-up). */
export function onActivity(listener: (() => void) | undefined): void {
  activityListener = listener;
}

/** An invocation's work started or ended (client-patches.ts). */
export function noteActivity(): void {
  activityListener?.();
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
  return () => {
    const value = (storage.getStore()?.random ?? outside)();
    // Who drew (FAULT_TRACE_CALLS): the frames above this one, without their directories.
    traceCall(() => `random ${storage.getStore()?.id ?? "-"} ${value} ${(new Error().stack ?? "").split("\n").slice(2, 5).map((frame) => frame.trim().replace(/\(.*\//, "(")).join(" < ")}`);
    return value;
  };
}

export function currentInvocation(): Invocation | undefined {
  return storage.getStore();
}

/** The invocation's own clock: the world's, or later by the waits it warped. */
export function invocationNow(invocation: Invocation): number {
  return Math.max(Date.now(), invocation.waitedUntil);
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
  return invocation.startedAt + invocation.timeoutMs - invocationNow(invocation);
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
  const invocation: Invocation = { id: `${fn}-${sequence}`, fn, startedAt: Date.now(), timeoutMs, waitedUntil: Date.now(), killed: undefined, ordinal: sequence, random, requests: new Set(), otherWork: 0 };
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
 * Who called `skip`: shipped code waiting on purpose ("wait"), the SDK's timer wrapper in shipped
 * code ("timer": request deadlines, socket bookkeeping), or anything else (undefined); and the name
 * of the function that called the wrapper ("setRequestTimeout"). Shipped code lives in extracted zips
 * (test/helpers/shipped-zip.ts); V8 may report a bundle under the directory of an earlier copy of the
 * same source, hence the pattern rather than exact directories. The SDK's HTTP handler defers socket
 * bookkeeping and its request deadline through a `timing.setTimeout` wrapper; the webhook's socket
 * pool sets its request deadline in a method named `armRequestTimeout` ("timer", by that name).
 */
export function shippedCaller(skip: (...args: never[]) => unknown): { readonly kind: "wait" | "timer"; readonly by: string } | undefined {
  const limit = Error.stackTraceLimit;
  const prepare = Error.prepareStackTrace;
  Error.stackTraceLimit = 2;
  Error.prepareStackTrace = (_error, frames) => frames;
  const holder: { stack?: NodeJS.CallSite[] } = {};
  Error.captureStackTrace(holder, skip);
  const [frame, caller] = holder.stack ?? [];
  Error.prepareStackTrace = prepare;
  Error.stackTraceLimit = limit;
  if (!(frame?.getFileName() ?? "").includes(`${sep}self-runners-zip-`)) return undefined;
  // The webhook socket pool's request deadline is set by a method of that name (http1-pool.ts).
  if (frame?.getFunctionName() === "armRequestTimeout") return { kind: "timer", by: "armRequestTimeout" };
  return { kind: frame?.getFunctionName() === "setTimeout" ? "timer" : "wait", by: caller?.getFunctionName() ?? "" };
}

/**
 * A dependency answered slowly: the invocation's simulated duration grows by `ms`, after whatever it
 * spent before (its requests are taken one after another). Past the function timeout it is killed.
 */
export function spend(invocation: Invocation, ms: number): void {
  invocation.waitedUntil = Math.max(invocation.waitedUntil, invocation.startedAt) + ms;
  if (invocation.waitedUntil - invocation.startedAt > invocation.timeoutMs) kill(invocation, `timeout: ran ${Math.round((invocation.waitedUntil - invocation.startedAt) / 1000)} s`);
}


/** Accounts a warped wait; a wait that runs past the function timeout kills the invocation. */
export function warp(invocation: Invocation, delayMs: number): void {
  const end = Date.now() + delayMs;
  if (end > invocation.waitedUntil) invocation.waitedUntil = end;
  if (end - invocation.startedAt > invocation.timeoutMs) kill(invocation, `timeout: waited ${Math.round(delayMs / 1000)} s`);
}
