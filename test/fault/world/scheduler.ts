import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { setImmediate as nextTurn } from "node:timers/promises";
import { vi } from "vitest";
import { dropDeadlinesOf, fireDeadline, nextDeadline } from "./deadlines.js";
import { REQUEST_HEADER, invocationOf, kill, onActivity, streamSeed } from "./invocations.js";
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
 * Every invocation the world starts while it has a scheduler is under it: scale-up, reconcile, webhook
 * deliveries and the spot-interruption handler.
 */

export interface InterleaveOptions {
  /** The schedule: calls take a time drawn from `callMs` with this seed. */
  readonly seed: number;
  /** Simulated time one call takes, drawn uniformly per call (default 20 ms to 1.5 s). */
  readonly callMs?: readonly [number, number];
  /** Extra time some calls take (a slow dependency), by call; 0 for most. */
  readonly slowCall?: (call: GatedCall) => number;
  /** Keep the order of calls and marks (ScheduleStep) for a scenario's evidence. */
  readonly trace?: boolean;
  /**
   * Order only: calls take no simulated time and the clock does not move. For worlds whose concurrent
   * invocations (several scale-up or webhook environments) run at one instant: their calls still pass
   * one at a time, in the order of each invocation's own simulated time (its warped waits), then in
   * turns, so which of two racing writes lands first is the same in every run.
   */
  readonly lockstep?: boolean;
}

/** One step of a traced schedule: a call let through, or a mark the world set (a side effect, a delivery). */
export interface ScheduleStep {
  readonly at: number;
  /** The invocation's id ("scale-up-12") and function ("scale-up", "webhook", "reconcile", "spot-interruption"). */
  readonly invocation: string;
  readonly fn: string;
  readonly what: string;
}

export interface GatedCall {
  readonly invocation: Invocation;
  /** The request's number (REQUEST_HEADER): the order the client issued it in, whatever order it arrived in. */
  readonly request: number;
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
  /** Calls let through while an invocation of another function was live, by "<fn> during <other fn>". */
  callsDuring: Record<string, number>;
  /** Invocations killed because their timeout passed before a call was due. */
  timedOut: number;
  /** Client deadlines that fired before the answer came (deadlines.ts), by what. */
  deadlines: Record<string, number>;
}

/** How long the scheduler waits in real time for a live invocation to reach a server or end. */
const STUCK_MS = 30_000;

export class CallScheduler {
  readonly stats: ScheduleStats = { calls: 0, switches: 0, maxLive: 0, reconcileCallsDuringScaleUp: 0, callsDuring: {}, timedOut: 0, deadlines: {} };
  /** The schedule as it ran, when the options ask for a trace. */
  readonly trace: ScheduleStep[] = [];
  private readonly live = new Set<Invocation>();
  private readonly pending: GatedCall[] = [];
  /** Calls that arrived since the last turn, waiting for their time to be drawn. */
  private readonly arrived: Array<Omit<GatedCall, "dueAt">> = [];
  /** Request numbers of the calls waiting here (arrived or pending). */
  private readonly held = new Set<number>();
  /** Each invocation draws its calls' times from its own stream (its function and place among them). */
  private readonly streams = new Map<Invocation, () => number>();
  private readonly begun = new Map<string, number>();
  /** Calls let through per live invocation. */
  private readonly passed = new Map<Invocation, number>();
  private wake: (() => void) | undefined;
  private lastInvocation: Invocation | undefined;

  constructor(private readonly options: InterleaveOptions) {}

  get liveCount(): number {
    return this.live.size;
  }

  /** Live invocations of functions other than `fn` (the reconciler's own run is no unfinished work). */
  liveCountExcept(fn: string): number {
    return [...this.live].filter((invocation) => invocation.fn !== fn).length;
  }

  /** An invocation under the scheduler started (call before its first request). */
  begin(invocation: Invocation): void {
    const index = this.begun.get(invocation.fn) ?? 0;
    this.begun.set(invocation.fn, index + 1);
    this.streams.set(invocation, mulberry32(streamSeed(this.options.seed * 7919 + 17, invocation.fn, index)));
    this.live.add(invocation);
    this.stats.maxLive = Math.max(this.stats.maxLive, this.live.size);
  }

  /** Notes a step of `invocation` that is not a call (a side effect at a server, the delivery it handles). */
  mark(invocation: Invocation, what: string): void {
    if (this.options.trace === true) this.trace.push({ at: Date.now(), invocation: invocation.id, fn: invocation.fn, what });
  }

  /** It returned or threw. */
  end(invocation: Invocation): void {
    this.live.delete(invocation);
    dropDeadlinesOf(invocation);
    this.streams.delete(invocation);
    this.passed.delete(invocation);
    this.poke();
  }

  /** Makes the requests of scheduled invocations to `server` wait for their turn. */
  gate(server: Server, service: string): void {
    const listeners = server.listeners("request") as Array<(req: IncomingMessage, res: ServerResponse) => void>;
    server.removeAllListeners("request");
    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      const invocation = invocationOf(req.headers);
      const direct = (): void => listeners.forEach((listener) => listener(req, res));
      if (invocation === undefined || !this.live.has(invocation)) return direct();
      // The body is read at once: a client that gives up while its call waits here (its deadline) closes
      // the socket, and GitHub acts on the request all the same (a JIT POST registers its name).
      const chunks: Buffer[] = [];
      let ended = false;
      if (service === "github") {
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", () => (ended = true));
      }
      const replay = (): void => {
        // The server's own listeners get the body read here (ours are gone, or they would read it again).
        req.removeAllListeners("data").removeAllListeners("end");
        listeners.forEach((listener) => listener(req, res));
        for (const chunk of chunks) req.emit("data", chunk);
        req.emit("end");
      };
      const pass = service !== "github" ? direct : (): void => (ended ? replay() : void req.once("end", replay));
      const target = req.headers["x-amz-target"];
      const what = `${service} ${typeof target === "string" ? target : service === "github" ? `${req.method ?? ""} ${(req.url ?? "").split("?")[0] ?? ""}` : "ec2"}`;
      this.arrive(invocation, what, Number(req.headers[REQUEST_HEADER]), pass);
    });
  }

  private arrive(invocation: Invocation, what: string, request: number, release: () => void): void {
    this.held.add(request);
    this.arrived.push({ invocation, what, release, request });
    this.poke();
  }

  /**
   * Gives the calls that arrived their due time, in a fixed order (start order of their invocations,
   * then kind, then the order the client issued them), each from its invocation's own stream:
   * real-time arrival order, which a loaded machine shuffles, changes nothing.
   */
  private draw(): void {
    const [low, high] = this.options.callMs ?? [20, 1_500];
    const arrived = this.arrived.splice(0).sort((a, b) => a.invocation.ordinal - b.invocation.ordinal || a.what.localeCompare(b.what) || a.request - b.request);
    for (const call of arrived) {
      const base = Math.max(Date.now(), call.invocation.waitedUntil);
      if (this.options.lockstep === true) {
        this.pending.push({ ...call, dueAt: base });
        continue;
      }
      const random = this.streams.get(call.invocation) ?? mulberry32(this.options.seed);
      const dueAt = base + Math.round(low + random() * (high - low)) + (this.options.slowCall?.({ ...call, dueAt: base }) ?? 0);
      this.pending.push({ ...call, dueAt });
    }
  }

  private poke(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /**
   * Every live invocation waits at a server (or none is live): each request it has under way waits
   * here, and it has no other work under way (timers, WebCrypto: client-patches.ts). An invocation
   * with nothing under way is between two steps of its own code and will call or end.
   */
  private allWaiting(): boolean {
    for (const invocation of this.live) {
      if (invocation.otherWork > 0 || invocation.requests.size === 0) return false;
      for (const request of invocation.requests) if (!this.held.has(request)) return false;
    }
    return true;
  }

  /**
   * Waits until every live invocation waits at a server. What follows an answer (or a timer) in the
   * same turn of the event loop runs in microtasks and ticks: it shows up as new work by the next
   * turns, hence two turns more before the world goes on.
   */
  private async settle(): Promise<void> {
    for (;;) {
      if (this.allWaiting()) {
        await nextTurn();
        await nextTurn();
        if (this.allWaiting()) return;
        continue;
      }
      const woken = new Promise<void>((resolve) => (this.wake = resolve));
      onActivity(() => this.poke());
      let timer: NodeJS.Timeout | undefined;
      const stuck = new Promise<"stuck">((resolve) => (timer = setTimeout(() => resolve("stuck"), STUCK_MS)));
      const outcome = await Promise.race([woken, stuck]);
      clearTimeout(timer);
      onActivity(undefined);
      if (outcome === "stuck") throw new Error(`scheduler: an invocation neither called a server nor ended in ${STUCK_MS / 1000} s: ${[...this.live].map((i) => `${i.id} (requests ${[...i.requests].join(",")}, other work ${i.otherWork})`).join(", ")}`);
    }
  }

  /**
   * Lets calls through, earliest due first (ties: round-robin, then start order), moving the clock
   * to each, until every live invocation waits on a call due after `until` (or none is live).
   * `between` runs before each call, once the last one's effects are in and every live invocation
   * waits again (the world starting invocations in free environments, watching its limits).
   */
  async runUntil(until: number, between: () => Promise<void>): Promise<void> {
    for (;;) {
      await this.settle();
      await between();
      await this.settle();
      this.draw();
      // Ties (lockstep: every call of a round is due at its instant) go round-robin: the invocation with
      // the fewest calls through so far, then the one that started first.
      const turns = (call: GatedCall): number => this.passed.get(call.invocation) ?? 0;
      const next = [...this.pending].sort((a, b) => a.dueAt - b.dueAt || turns(a) - turns(b) || a.invocation.ordinal - b.invocation.ordinal || a.what.localeCompare(b.what) || a.request - b.request)[0];
      // A client deadline due before the next answer fires first: the client gives up, the server may still act.
      const deadline = nextDeadline(this.live);
      if (deadline !== undefined && deadline.at <= until && (next === undefined || deadline.at < next.dueAt)) {
        if (this.options.lockstep !== true && deadline.at > Date.now()) vi.setSystemTime(deadline.at);
        this.stats.deadlines[deadline.what] = (this.stats.deadlines[deadline.what] ?? 0) + 1;
        this.mark(deadline.invocation, `deadline ${deadline.what}`);
        fireDeadline(deadline);
        continue;
      }
      if (next === undefined || next.dueAt > until) return;
      this.pending.splice(this.pending.indexOf(next), 1);
      const { invocation } = next;
      if (this.options.lockstep !== true) {
        if (next.dueAt > Date.now()) vi.setSystemTime(next.dueAt);
        if (Date.now() - invocation.startedAt > invocation.timeoutMs && invocation.killed === undefined) {
          kill(invocation, `timeout: ran ${Math.round((Date.now() - invocation.startedAt) / 1000)} s`);
          this.stats.timedOut += 1;
        }
      }
      this.stats.calls += 1;
      if (this.lastInvocation !== undefined && this.lastInvocation !== invocation && this.live.has(this.lastInvocation)) this.stats.switches += 1;
      if (invocation.fn === "reconcile" && [...this.live].some((other) => other.fn === "scale-up")) this.stats.reconcileCallsDuringScaleUp += 1;
      for (const fn of new Set([...this.live].filter((other) => other.fn !== invocation.fn).map((other) => other.fn))) {
        const key = `${invocation.fn} during ${fn}`;
        this.stats.callsDuring[key] = (this.stats.callsDuring[key] ?? 0) + 1;
      }
      this.mark(invocation, next.what);
      this.passed.set(invocation, turns(next) + 1);
      this.lastInvocation = invocation;
      this.held.delete(next.request);
      next.release();
    }
  }
}
