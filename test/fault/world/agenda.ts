/** The world's scripted events: at an instant (at()), or on the first tick a condition holds (once()). */
export class Agenda {
  /** Sorted by instant (simulated epoch ms). */
  readonly events: Array<{ at: number; run: () => void | Promise<void> }> = [];
  readonly conditions: Array<{ when: () => boolean; run: () => void | Promise<void> }> = [];

  /** Runs `run` at `at` (simulated epoch ms). */
  add(at: number, run: () => void | Promise<void>): void {
    this.events.push({ at, run });
    this.events.sort((a, b) => a.at - b.at);
  }

  /** Runs `run` once, on the first tick where `when` holds. */
  once(when: () => boolean, run: () => void | Promise<void>): void {
    this.conditions.push({ when, run });
  }

  /** Runs the events due by `now`, then the conditions that hold. */
  async runDue(now: number): Promise<void> {
    while (this.events.length > 0 && (this.events[0] as { at: number }).at <= now) await (this.events.shift() as { run: () => void | Promise<void> }).run();
    for (const condition of [...this.conditions]) {
      if (condition.when()) {
        this.conditions.splice(this.conditions.indexOf(condition), 1);
        await condition.run();
      }
    }
  }
}
