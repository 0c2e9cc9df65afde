import { traceCall } from "./call-trace.js";
import type { Invocation } from "./invocations.js";

/**
 * Client deadlines of shipped code on the world's clock (issue 15): Octokit's request timeout
 * (lambdas/shared/github/octokit.ts gives each fetch an `AbortSignal.timeout`) and the SDK's
 * `requestTimeout` (@smithy/node-http-handler's setRequestTimeout). On the machine's clock they
 * would fire or not as the machine's load has it; here each is due at the invocation's simulated
 * time plus its delay, and the world fires it when its clock gets there before the answer did: the
 * call scheduler between calls (scheduler.ts), a slow dependency inside its latency (github.ts).
 */

export interface ClientDeadline {
  readonly invocation: Invocation;
  /** Simulated epoch ms at which it fires. */
  readonly at: number;
  /** "octokit request timeout", "sdk requestTimeout" or "webhook request timeout". */
  readonly what: string;
  /** Aborts the request (Octokit) or runs the SDK's timer callback. */
  readonly fire: () => void;
  /** The request it guards, once the client issued it (Octokit's signal, by REQUEST_HEADER number). */
  request?: number;
}

const pending = new Set<ClientDeadline>();
/** Deadlines that fired, by what (the world's report reads and resets them). */
export const firedDeadlines = new Map<string, number>();

export function addDeadline(deadline: ClientDeadline): ClientDeadline {
  pending.add(deadline);
  return deadline;
}

/** The request answered, the timer was cleared, or the invocation ended: the deadline is moot. */
export function dropDeadline(deadline: ClientDeadline): void {
  pending.delete(deadline);
}

export function dropDeadlinesOf(invocation: Invocation): void {
  for (const deadline of pending) if (deadline.invocation === invocation) pending.delete(deadline);
}

/** The earliest deadline of a live invocation (ties: the one set first). */
export function nextDeadline(live: ReadonlySet<Invocation>): ClientDeadline | undefined {
  let next: ClientDeadline | undefined;
  for (const deadline of pending) if (live.has(deadline.invocation) && (next === undefined || deadline.at < next.at)) next = deadline;
  return next;
}

/** The deadline guarding request number `request`, if any. */
export function deadlineOfRequest(request: number | undefined): ClientDeadline | undefined {
  if (request === undefined) return undefined;
  for (const deadline of pending) if (deadline.request === request) return deadline;
  return undefined;
}

export function fireDeadline(deadline: ClientDeadline): void {
  traceCall(() => `deadline ${deadline.invocation.id} ${deadline.what} due ${new Date(deadline.at).toISOString()}`);
  pending.delete(deadline);
  firedDeadlines.set(deadline.what, (firedDeadlines.get(deadline.what) ?? 0) + 1);
  deadline.fire();
}

export function resetDeadlines(): void {
  pending.clear();
  firedDeadlines.clear();
}
