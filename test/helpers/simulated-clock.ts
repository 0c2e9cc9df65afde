import type { Clock } from "../../lambdas/nat-failover/failover.js";

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly resolve: () => void;
}

/** Lets pending promise callbacks and immediates run (several turns: SDK middleware chains are deep). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * A clock whose time moves only when everything in flight is waiting on it: `run(work)` lets the
 * work progress, and whenever it is blocked on `sleep`, jumps to the earliest timer. Hours of
 * simulated probing take milliseconds, and the figures are exact functions of the configuration.
 */
export class SimulatedClock implements Clock {
  private time: number;
  private seq = 0;
  private timers: Timer[] = [];

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.timers.push({ at: this.time + Math.max(0, ms), seq: this.seq++, resolve });
    });
  }

  async run<T>(work: Promise<T>): Promise<T> {
    let done = false;
    const outcome = work.then(
      (value) => {
        done = true;
        return value;
      },
      (error: unknown) => {
        done = true;
        throw error;
      },
    );
    outcome.catch(() => undefined);
    for (;;) {
      await settle();
      if (done) return outcome;
      if (this.timers.length === 0) throw new Error("simulation stuck: work is pending but nothing waits on the clock");
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers.shift() as Timer;
      this.time = Math.max(this.time, next.at);
      next.resolve();
    }
  }
}
