import { relative } from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * The files that take longest, slowest first (wall seconds of each in the clean-clone CI run of
 * session 26, two workers on 2 cores: terraform 326, fault burst 217, fault 84, NAT boots 64, fault
 * second half 51, fuzz 36, interleaved 31, release 30, fault NAT boots 24, bootstrap 20, then 9 to 12).
 * With two workers the suite ends when the last long file does: the NAT boots, left to vitest's order,
 * started at 614 s and ended the run at 678 s. Vitest orders by cached durations, which a clean clone
 * lacks (it then runs the largest files first), hence this list.
 */
export const SLOWEST_FILES = [
  "test/terraform/module.test.ts",
  "test/fault/burst.test.ts",
  "test/fault/fault.test.ts",
  "test/stacks/runner-boot-nat.test.ts",
  "test/fault/fault-second-half.test.ts",
  "test/fuzz/webhook-fuzz.test.ts",
  "test/fault/interleaved.test.ts",
  "test/release/release.test.ts",
  "test/fault/nat-boots.test.ts",
  "test/stacks/runner-bootstrap.test.ts",
  "test/providers/provider-aws-6.test.ts",
  "test/plan-comment/upsert.test.ts",
  "test/fault/governor.test.ts",
  "test/providers/cdktn.test.ts",
  "test/fault/determinism.test.ts",
  "test/cache-agent/actions-cache.test.ts",
];

/** Runs {@link SLOWEST_FILES} first, in that order, then the rest in vitest's own order. */
export default class SlowestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification): number => {
      const index = SLOWEST_FILES.indexOf(relative(this.ctx.config.root, file.moduleId).split("\\").join("/"));
      return index === -1 ? SLOWEST_FILES.length : index;
    };
    const rest = await super.sort(files.filter((f) => rank(f) === SLOWEST_FILES.length));
    return [...files.filter((f) => rank(f) < SLOWEST_FILES.length).sort((a, b) => rank(a) - rank(b)), ...rest];
  }
}
