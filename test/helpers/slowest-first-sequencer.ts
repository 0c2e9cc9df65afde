import { relative } from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * The files that take minutes, slowest first (CPU seconds on 2 cores, in the clean-clone CI run:
 * terraform ≈ 520, fault burst ≈ 100, fault ≈ 60, scale-up handler ≈ 40, fuzz ≈ 26, release ≈ 25).
 * With two workers the suite ends when the last long file does; started last, the terraform tier
 * alone would outlast everything else. Vitest orders by cached durations, which a clean clone lacks
 * (it then runs the largest files first), hence this list.
 */
export const SLOWEST_FILES = [
  "test/terraform/module.test.ts",
  "test/fault/burst.test.ts",
  "test/fault/fault.test.ts",
  "test/fault/fault-second-half.test.ts",
  "test/fault/interleaved.test.ts",
  "test/lambdas/scale-up/scale-up.lambda.test.ts",
  "test/fuzz/webhook-fuzz.test.ts",
  "test/release/release.test.ts",
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
