/**
 * The job ledger's phase machine (docs/reliability.md). Pure: no SDK, no clock. The DynamoDB adapter
 * (dynamodb-store.ts, and memory-store.ts alike) turns each transition into one conditional write whose condition is `phase IN (from)`,
 * so two writers racing on the same job cannot both win.
 *
 *   received ──claim──▶ launching ──launched──▶ launched ──in_progress──▶ running ──completed──▶ completed
 *      ▲                   │  ▲ (lease expired: takeover)   │                         │             failed
 *      └────release────────┘  └─────────                    └──relaunch (reconciler)─▶ received     cancelled
 *
 * Webhooks may arrive out of order (GitHub does not order deliveries), so `in_progress` and
 * `completed` are accepted from every non-terminal phase, and a `queued` after either changes nothing.
 */

export const PHASES = ["received", "launching", "launched", "running", "completed", "failed", "cancelled"] as const;
export type Phase = (typeof PHASES)[number];

export const TERMINAL_PHASES: readonly Phase[] = ["completed", "failed", "cancelled"];
export const ACTIVE_PHASES: readonly Phase[] = ["received", "launching", "launched", "running"];

/** Every transition, with the phases it may start from. `undefined` stands for "no item yet". */
export const TRANSITIONS = {
  /** Webhook `queued`: creates the item; an existing item keeps its phase. */
  receive: { from: [undefined], to: "received" },
  /** Scale-up takes the job; from launching only when the previous claim's lease has expired. */
  claim: { from: [undefined, "received", "launching"], to: "launching" },
  /** Scale-up gives the job back (no capacity, limit reached, launch failed). */
  release: { from: ["launching"], to: "received" },
  /** Scale-up: a runner exists and has its configuration. */
  launch: { from: ["launching"], to: "launched" },
  /** Webhook `in_progress`: some runner took the job. */
  start: { from: [undefined, "received", "launching", "launched"], to: "running" },
  /** Webhook `completed`, or the reconciler when GitHub says so. */
  finish: { from: [undefined, "received", "launching", "launched", "running"], to: "completed" },
  /** Reconciler: the job's runner is gone or took another job and the job still waits at GitHub. */
  relaunch: { from: ["launched"], to: "received" },
  /** Scale-up: the job waited longer than the maximum age, or its message cannot be served. */
  expire: { from: [undefined, "received", "launching"], to: "failed" },
} as const satisfies Record<string, { from: ReadonlyArray<Phase | undefined>; to: Phase }>;

export type Transition = keyof typeof TRANSITIONS;

export function isTerminal(phase: Phase | undefined): boolean {
  return phase !== undefined && TERMINAL_PHASES.includes(phase);
}

/** Whether `transition` may start from `phase` (the adapter's condition, as data for tests). */
export function canTransition(transition: Transition, phase: Phase | undefined): boolean {
  return (TRANSITIONS[transition].from as ReadonlyArray<Phase | undefined>).includes(phase);
}

/** The phase a `completed` webhook's conclusion ends in. */
export function finishedPhase(conclusion: string | null | undefined): Phase {
  if (conclusion === "success" || conclusion === "skipped" || conclusion === "neutral") return "completed";
  if (conclusion === "cancelled") return "cancelled";
  return "failed";
}

/**
 * Ledger key of a job attempt: a re-run is a new attempt and gets a new runner. Warm-pool runners
 * are launched for synthetic "warm" jobs with keys of their own, which no webhook ever touches.
 */
export function jobKey(job: { readonly jobId: number; readonly runAttempt: number; readonly kind?: "job" | "warm" }): string {
  return job.kind === "warm" ? `warm#${job.jobId}` : `job#${job.jobId}#${job.runAttempt}`;
}

/** Ledger key of the pointer from an instance to the job that launched it. */
export function instanceKey(instanceId: string): string {
  return `instance#${instanceId}`;
}

/** Ledger key of the pointer from a runner name to the job it is running (from `in_progress`). */
export function runnerKey(runnerName: string): string {
  return `runner#${runnerName}`;
}

/**
 * Ledger key of the note that a runner's instance got a spot warning while GitHub refused to deregister
 * it (busy, or not yet registered): the job it took, once known, counts as interrupted.
 */
export function interruptedRunnerKey(runnerName: string): string {
  return `interrupted#${runnerName}`;
}

/** Ledger keys of the three limit counters a runner counts against. */
export function limitKeys(pool: string, owner: string): { readonly global: string; readonly pool: string; readonly owner: string } {
  return { global: "limit#global", pool: `limit#pool#${pool}`, owner: `limit#owner#${owner}` };
}

/** What scale-up does with a job whose claim was refused, from the phase the ledger holds. */
export function refusedClaimOutcome(phase: Phase | undefined): "duplicate" | "in-flight" {
  // launching with a live lease: another invocation is launching it right now; anything later means
  // a runner exists or existed for it, so this message is a duplicate.
  return phase === "launching" ? "in-flight" : "duplicate";
}

/**
 * What to do, on taking over an expired claim, with the instance launched under it: adopt it when its
 * runner configuration was written (the runner will come up and work), otherwise reuse it (it waits
 * for a configuration until the boot timeout: the attempt ran out of time before or during its JIT
 * call) rather than launch another; launch when there is none.
 */
export function takeoverAction(previous: { readonly instanceId?: string; readonly runnerWritten: boolean }): "launch" | "adopt" | "reuse" {
  if (previous.instanceId === undefined) return "launch";
  return previous.runnerWritten ? "adopt" : "reuse";
}

const LIMIT_RELEASE_PREFIX = "limit of ";

/** The reason scale-up records when it gives a job back because a `max_runners` limit is reached. */
export function limitReleaseReason(which: string): string {
  return `${LIMIT_RELEASE_PREFIX}${which} reached`;
}

/** Whether a `released` event's detail is a limit deferral (limitReleaseReason). */
export function isLimitRelease(detail: string | undefined): boolean {
  return detail?.startsWith(LIMIT_RELEASE_PREFIX) === true;
}
