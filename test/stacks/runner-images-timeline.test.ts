import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { RUNNER_BOOTSTRAP_TEMPLATE } from "../../stacks/runner-bootstrap.js";
import { templatePath } from "../../stacks/templates/template-file.js";
import { BOOT_STEPS, bootTimelineTable, bootTotals } from "../helpers/boot-timeline.js";
import { REPO_ROOT } from "../helpers/paths.js";

// The bake-or-install comparison of docs/runner-images.md comes from the simulated timeline in
// test/helpers/boot-timeline.ts; this keeps the model tied to the bootstrap and the doc to the model.

const BEGIN = "<!-- boot-timeline:begin -->";
const END = "<!-- boot-timeline:end -->";

describe("the boot timeline of docs/runner-images.md", () => {
  it("models only steps the bootstrap runs", () => {
    const bootstrap = readFileSync(templatePath(RUNNER_BOOTSTRAP_TEMPLATE), "utf8");
    const missing = BOOT_STEPS.filter((s) => s.marker !== "" && !bootstrap.includes(s.marker)).map((s) => s.step);
    expect(missing).toEqual([]);
  });

  it("never makes a baked step slower than installing it at boot", () => {
    expect(BOOT_STEPS.filter((s) => s.baked > s.atBoot)).toEqual([]);
  });

  it("is the table the doc shows", () => {
    const doc = readFileSync(`${REPO_ROOT}/docs/runner-images.md`, "utf8");
    const shown = doc.slice(doc.indexOf(BEGIN) + BEGIN.length, doc.indexOf(END)).trim();
    expect(shown).toBe(bootTimelineTable());
  });

  it("states the totals the doc's text quotes", () => {
    const doc = readFileSync(`${REPO_ROOT}/docs/runner-images.md`, "utf8");
    const t = bootTotals();
    expect(doc).toContain(`${t.toRegistration.atBoot} s to ${t.toRegistration.baked} s`);
    expect(doc).toContain(`${t.toFirstContainerStep.atBoot} s to ${t.toFirstContainerStep.baked} s`);
  });
});
