/**
 * "No destroy for existing users": every address the committed module declared before the emitter
 * split it into files (test/emit/golden/module-addresses.txt, recorded from the one-file main.tf)
 * must still be declared, and nothing else. Terraform matches state by address, not by file, so the
 * same addresses mean the next plan neither destroys nor creates anything because of the move.
 * An address that must change needs a `moved` block, which appears in the list as `moved: from -> to`.
 *
 * After an intended change of addresses (with moved blocks), regenerate the list and review its diff:
 *   UPDATE_GOLDEN=1 npx vitest run test/emit/module-addresses.test.ts
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { MODULE_DIR } from "../../stacks/build-module.js";
import { REPO_ROOT, scratchDir } from "../helpers/paths.js";
import { moduleAddresses } from "./module-addresses.js";

const GOLDEN = path.join(path.dirname(fileURLToPath(import.meta.url)), "golden", "module-addresses.txt");

describe("the emitted module's addresses", () => {
  it("are exactly the recorded ones (or moved from them)", () => {
    const addresses = moduleAddresses(path.join(REPO_ROOT, MODULE_DIR));
    if (process.env.UPDATE_GOLDEN === "1") fs.writeFileSync(GOLDEN, `${addresses.join("\n")}\n`);
    const golden = fs.readFileSync(GOLDEN, "utf8").trim().split("\n");
    const moved = new Map(
      addresses.flatMap((a) => {
        const m = /^moved: (\S+) -> (\S+)$/.exec(a);
        return m ? [[m[1], m[2]] as const] : [];
      }),
    );
    // Every recorded address is still declared, or a moved block leads from it to a declared one.
    const missing = golden.filter((a) => !a.startsWith("moved:") && !addresses.includes(a) && !addresses.includes(moved.get(a) ?? ""));
    expect(missing, "addresses that would be destroyed").toEqual([]);
    expect(addresses.filter((a) => !golden.includes(a) && !a.startsWith("moved:") && ![...moved.values()].includes(a))).toEqual([]);
    expect(addresses.length).toBeGreaterThan(150);
  });

  it("are read from every block kind", () => {
    const dir = scratchDir("addresses");
    try {
      fs.writeFileSync(
        path.join(dir, "a.tf"),
        ['locals {', '  one = 1', '  two = {', '    nested = 2', '  }', '}', 'resource "aws_sqs_queue" "jobs" {', '  name = "x"', '}', 'data "aws_region" "current" {}', 'variable "prefix" {', '}', 'output "url" {', '  value = 1', '}', 'moved {', '  from = aws_sqs_queue.old', '  to   = aws_sqs_queue.jobs', '}', ''].join("\n"),
      );
      expect(moduleAddresses(dir)).toEqual(["aws_sqs_queue.jobs", "data.aws_region.current", "local.one", "local.two", "moved: aws_sqs_queue.old -> aws_sqs_queue.jobs", "output.url", "var.prefix"]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
