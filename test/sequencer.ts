import { BaseSequencer } from "vitest/node";
import type { TestSpecification } from "vitest/node";

/**
 * The few files that take minutes run first, so the 2-core machine's other worker runs everything else
 * meanwhile. Without a results cache (a clean clone) vitest orders by file size, which put the terraform
 * tier (over 8 minutes, one small file) last and the suite at 16 minutes.
 */
const SLOWEST_FIRST = ["test/terraform/module.test.ts", "test/fault/burst.test.ts", "test/fault/fault.test.ts"];

export default class SlowestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (file: TestSpecification): number => {
      const index = SLOWEST_FIRST.findIndex((path) => file.moduleId.endsWith(path));
      return index < 0 ? SLOWEST_FIRST.length : index;
    };
    return [...sorted].sort((a, b) => rank(a) - rank(b));
  }
}
