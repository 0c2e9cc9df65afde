import type { ScenarioReport, World, WorldOptions } from "./world/world.js";

/** What a fault scenario is (test/fault/scenarios*.ts), apart from the scenario lists that import each other's parts. */

export interface Scenario {
  /** The table row (docs/reliability.md). */
  readonly title: string;
  readonly world: WorldOptions;
  readonly script: (world: World) => void | Promise<void>;
  readonly evidence: (report: ScenarioReport, world: World) => void;
  /** Runs in its own test file (burst.test.ts), in parallel with the others. */
  readonly heavy?: boolean;
  /** Real time the test may take (a 1,000-job world on a loaded 2-core machine); 600 s unless set. */
  readonly timeoutMs?: number;
  /** World-truth bounds the run must stay within (defaults: {@link DEFAULT_BOUNDS}). */
  readonly bounds?: Partial<ScenarioBounds>;
}

export interface ScenarioBounds {
  /** Instances launched that never read a runner configuration. */
  readonly wastedInstances: number;
  /** The longest a job attempt taken by a runner waited for it, from its creation at GitHub. */
  readonly timeToRunnerSeconds: number;
}

/** A job's runner boots (20 s), reads its configuration and starts (15 s) within a minute or two; no instance is wasted. */
export const DEFAULT_BOUNDS: ScenarioBounds = { wastedInstances: 0, timeToRunnerSeconds: 180 };

export function boundsOf(scenario: Pick<Scenario, "bounds">): ScenarioBounds {
  return { ...DEFAULT_BOUNDS, ...scenario.bounds };
}
