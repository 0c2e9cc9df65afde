// Runs the bench's groups one after another: a group that throws is recorded and the others still run,
// and each group starts from the environment the bench started with (bench/run.ts prints, writes and
// sets the exit code). Apart from run.ts so that a test can drive it with groups of its own.
import { readFileSync } from "node:fs";
import { formatFigure, scopeTarget, type BenchGroup, type GroupFailure, type Figure } from "./figures.js";

/** What a run of the groups measured and which groups failed. */
export interface GroupsRun {
  readonly figures: Figure[];
  readonly failures: GroupFailure[];
}

/** CPU seconds of this process plus its waited-for children (Linux /proc; this process only elsewhere). */
export function cpuSeconds(): number {
  const own = process.cpuUsage();
  let children = 0;
  try {
    // Fields 16 and 17 (cutime, cstime) after the parenthesised command name, in clock ticks (100 a second on Linux).
    const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1]?.split(" ") ?? [];
    children = (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    // Not Linux: the groups that run children count only this process.
  }
  return (own.user + own.system) / 1e6 + (Number.isFinite(children) ? children : 0);
}

/** Puts `env` back as it was in `snapshot`: variables added since are removed, changed ones restored. */
function restoreEnvironment(env: NodeJS.ProcessEnv, snapshot: Readonly<NodeJS.ProcessEnv>): void {
  for (const name of Object.keys(env)) if (!(name in snapshot)) delete env[name];
  Object.assign(env, snapshot);
}

/**
 * Runs `groups` in order, printing each figure beside its target (scoped by {@link scopeTarget}). A
 * group that throws is printed and recorded with its message, and the next group runs. Groups that load
 * a shipped zip set its environment in this process (test/helpers/shipped-zip.ts); it is put back after
 * each group, so no group, nor a child it starts, sees another's endpoints.
 */
export async function runGroups(groups: readonly BenchGroup[], log: (line: string) => void = console.log, env: NodeJS.ProcessEnv = process.env): Promise<GroupsRun> {
  const figures: Figure[] = [];
  const failures: GroupFailure[] = [];
  const snapshot = { ...env };
  for (const [i, group] of groups.entries()) {
    log(`\n[${i + 1}/${groups.length}] ${group.name}`);
    const wallStart = performance.now();
    const cpuStart = cpuSeconds();
    try {
      for (const measured of await group.run()) {
        const figure = scopeTarget(measured);
        figures.push(figure);
        log(`  ${formatFigure(figure)}`);
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      failures.push({ group: group.name, error: message });
      log(`  FAILED: ${message}`);
    } finally {
      restoreEnvironment(env, snapshot);
    }
    log(`  (${Math.round((performance.now() - wallStart) / 1000)} s wall, ${Math.round(cpuSeconds() - cpuStart)} s CPU in this process and the children it waited for)`);
  }
  return { figures, failures };
}
