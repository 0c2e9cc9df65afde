import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { vi } from "vitest";
import { invocationOf, kill } from "./invocations.js";
import type { Invocation } from "./invocations.js";
import { mulberry32 } from "./random.js";

/**
 * Call-by-call interleaving of concurrent invocations (issue 15: "Lambda concurrency for real").
 * Without it, an invocation's calls all happen at the instant it started and two invocations only
 * overlap as far as real concurrency against loopback servers lets them. With it, every request an
 * invocation under the scheduler makes waits at the world's servers (AWS, DynamoDB, GitHub) until the
 * scheduler lets it through, one at a time:
 * - the scheduler waits until every live invocation is either waiting at a server or finished, then
 *   lets the call that is due first go on, after moving the world's clock to it: each call takes a
 *   seeded random time (so a seed is a schedule), the clock runs during an invocation, and a wait
 *   of the shipped code (back-off, pacing) holds the invocation's next call back by that long;
 * - the world keeps working between calls (ticks, runners, new invocations in free environments), so
 *   an invocation that outlives its messages' visibility timeout meets another environment
 *   receiving them;
 * - an invocation whose function timeout passed when its next call is due is killed, as Lambda would
 *   (its later requests are refused by the servers).
 * Invocations not under the scheduler (webhooks, the spot handler) pass at once.
 */

export interface InterleaveOptions {
  /** The schedule: calls take a time drawn from `callMs` with this seed. */
  readonly seed: number;
  /** Simulated time one call takes, drawn uniformly per call (default 20 ms to 1.5 s). */
  readonly callMs?: readonly [number, number];
  /** Extra time some calls take (a slow dependency), by call; 0 for most. */
  readonly slowCall?: (call: GatedCall) => number;
}

export interface GatedCall {
  readonly invocation: Invocation;
  /** "github GET /orgs/o/actions/runners", "aws AmazonSQS.DeleteMessage", "aws ec2" (query protocol), "dynamodb ...UpdateItem". */
  readonly what: string;
  /** Simulated time at which the dependency acts on it. */
  readonly dueAt: number;
  readonly release: () => void;
}

/** Figures of the schedule that ran, for a scenario's evidence. */
export interface ScheduleStats {
  /** Calls let through. */
  calls: number;
  /** Calls let through while another invocation under the scheduler was live, right after one of another invocation. */
  switches: number;
  /** Most invocations live at once. */
  maxLive: number;
  /** Calls of the reconciler let through while a scale-up invocation was live. */
  reconcileCallsDuringScaleUp: number;
  /** Invocations killed because their timeout passed before a call was due. */
  timedOut: number;
}

/** How long the scheduler waits in real time for a live invocation to reach a server or end. */
const STUCK_MS = 30_000;

export class CallScheduler {
  readonly stats: ScheduleStats = { calls: 0, switches: 0, maxLive: 0, reconcileCallsDuringScaleUp: 0, timedOut: 0 };
  private readonly live = new Set<Invocation>();
  private readonly pending: GatedCall[] = [];
  private readonly random: () => number;
  private wake: (() => void) | undefined;
  private lastInvocation: Invocation | undefined;

  constructor(private readonly options: InterleaveOptions) {
    this.random = mulberry32(options.seed * 7919 + 17);
  }

  get liveCount(): number {
    return this.live.size;
  }

  /** An invocation under the scheduler started (call before its first request). */
  begin(invocation: Invocation): void {
    this.live.add(invocation);
    this.stats.maxLive = Math.max(this.stats.maxLive, this.live.size);
  }

  /** It returned or threw. */
  end(invocation: Invocation): void {
    this.live.delete(invocation);
    this.poke();
  }

  /** Makes the requests of scheduled invocations to `server` wait for their turn. */
  gate(server: Server, service: string): void {
    const listeners = server.listeners("request") as Array<(req: IncomingMessage, res: ServerResponse) => void>;
    server.removeAllListeners("request");
    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      const pass = (): void => listeners.forEach((listener) => listener(req, res));
      const invocation = invocationOf(req.headers);
      if (invocation === undefined || !this.live.has(invocation)) return pass();
      const target = req.headers["x-amz-target"];
      const what = `${service} ${typeof target === "string" ? target : service === "github" ? `${req.method ?? ""} ${(req.url ?? "").split("?")[0] ?? ""}` : "ec2"}`;
      this.arrive(invocation, what, pass);
    });
  }

  private arrive(invocation: Invocation, what: string, release: () => void): void {
    const [low, high] = this.options.callMs ?? [20, 1_500];
    const base = Math.max(Date.now(), invocation.waitedUntil);
    const partial = { invocation, what, dueAt: base, release };
    const dueAt = base + Math.round(low + this.random() * (high - low)) + (this.options.slowCall?.(partial) ?? 0);
    this.pending.push({ ...partial, dueAt });
    this.poke();
  }

  private poke(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Every live invocation waits at a server (or none is live). */
  private allWaiting(): boolean {
    for (const invocation of this.live) if (!this.pending.some((call) => call.invocation === invocation)) return false;
    return true;
  }

  private async settle(): Promise<void> {
    while (!this.allWaiting()) {
      const arrived = new Promise<void>((resolve) => (this.wake = resolve));
      let timer: NodeJS.Timeout | undefined;
      const stuck = new Promise<"stuck">((resolve) => (timer = setTimeout(() => resolve("stuck"), STUCK_MS)));
      const outcome = await Promise.race([arrived, stuck]);
      clearTimeout(timer);
      if (outcome === "stuck") throw new Error(`scheduler: an invocation neither called a server nor ended in ${STUCK_MS / 1000} s: ${[...this.live].map((i) => i.id).join(", ")}`);
    }
    // Parallel requests of one invocation reach the servers a moment apart: let them all arrive.
    for (let i = 0; i < 3; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /**
   * Lets calls through, earliest due first, moving the clock to each, until every live invocation
   * waits on a call due after `until` (or none is live). `between` runs after each call (the world
   * starting invocations in free environments, watching its limits).
   */
  async runUntil(until: number, between: () => Promise<void>): Promise<void> {
    for (;;) {
      await this.settle();
      if (this.pending.length === 0) return;
      const next = [...this.pending].sort((a, b) => a.dueAt - b.dueAt)[0] as GatedCall;
      if (next.dueAt > until) return;
      this.pending.splice(this.pending.indexOf(next), 1);
      if (next.dueAt > Date.now()) vi.setSystemTime(next.dueAt);
      const { invocation } = next;
      if (Date.now() - invocation.startedAt > invocation.timeoutMs && invocation.killed === undefined) {
        kill(invocation, `timeout: ran ${Math.round((Date.now() - invocation.startedAt) / 1000)} s`);
        this.stats.timedOut += 1;
      }
      this.stats.calls += 1;
      if (this.lastInvocation !== undefined && this.lastInvocation !== invocation && this.live.has(this.lastInvocation)) this.stats.switches += 1;
      if (invocation.fn === "reconcile" && [...this.live].some((other) => other.fn === "scale-up")) this.stats.reconcileCallsDuringScaleUp += 1;
      this.lastInvocation = invocation;
      next.release();
      await between();
    }
  }
}
