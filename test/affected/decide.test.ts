import { describe, expect, it } from "vitest";
import { decideAffected, rootsOf, type RepoGraph } from "../../tools/affected/decide.js";
import { matrixOf, summaryOf } from "../../tools/affected/render.js";

// A graph like this repository's: examples calling the emitted module, whose zips are built from lambdas/.
const graph: RepoGraph = {
  terraform: [
    { dir: "modules-out/terraform-aws-self-runners", modules: [] },
    { dir: "examples/terraform/basic", modules: ["modules-out/terraform-aws-self-runners"] },
    { dir: "examples/terraform/environments/dev", modules: ["modules-out/terraform-aws-self-runners"] },
    { dir: "infra/state", modules: [] },
  ],
  cdktf: [{ dir: "examples/cdktf", inputs: ["examples/cdktf/main.ts", "stacks/index.ts", "stacks/self-runners.ts"], stacks: ["ci-runners"] }],
  pins: [
    { prefix: "lambdas", dir: "modules-out/terraform-aws-self-runners" },
    { prefix: "contracts", dir: "modules-out/terraform-aws-self-runners" },
  ],
};
const affectedRoots = (changed: string[], g: RepoGraph = graph) => decideAffected(g, changed).affected.map((t) => `${t.root}:${t.stack}`);

describe("decideAffected on sample diffs", () => {
  it("finds roots as the directories no other one calls", () => {
    expect(rootsOf(graph.terraform)).toEqual(["examples/terraform/basic", "examples/terraform/environments/dev", "infra/state"]);
  });

  it("affects a root when its own file changes, including files in its sub-folders", () => {
    expect(affectedRoots(["infra/state/main.tf"])).toEqual(["infra/state:infra/state"]);
    expect(affectedRoots(["examples/terraform/basic/templates/x.sh"])).toEqual(["examples/terraform/basic:examples/terraform/basic"]);
  });

  it("affects every caller of a changed module", () => {
    expect(affectedRoots(["modules-out/terraform-aws-self-runners/main.tf"])).toEqual([
      "examples/terraform/basic:examples/terraform/basic",
      "examples/terraform/environments/dev:examples/terraform/environments/dev",
    ]);
  });

  it("affects the module's callers when a Lambda source or contract it pins changes, and the CDKTF stack only through its imports", () => {
    const decision = decideAffected(graph, ["lambdas/scale-up/core.ts"]);
    expect(decision.affected.map((t) => t.root)).toEqual(["examples/terraform/basic", "examples/terraform/environments/dev"]);
    expect(decision.affected[0]!.reasons).toEqual(["calls modules-out/terraform-aws-self-runners (lambdas/scale-up/core.ts via pinned lambdas)"]);
    expect(affectedRoots(["contracts/scale-up.ts"])).toHaveLength(2);
    expect(affectedRoots(["stacks/self-runners.ts"])).toEqual(["examples/cdktf:ci-runners"]);
  });

  it("affects nothing for files no root or stack reads", () => {
    const decision = decideAffected(graph, ["README.md", "docs/ci.md", "lambdasX/file.ts"]);
    expect(decision.affected).toEqual([]);
    expect(matrixOf(decision)).toEqual({ include: [] });
    expect(summaryOf(decision)).toContain("Nothing to plan");
  });

  it("lists each root once with every reason, in a stable order, whatever the order of the changes", () => {
    const changed = ["lambdas/a.ts", "examples/terraform/basic/main.tf", "./examples/terraform/basic/main.tf"];
    const one = decideAffected(graph, changed);
    const other = decideAffected(graph, [...changed].reverse());
    expect(one).toEqual(other);
    expect(one.affected.find((t) => t.root === "examples/terraform/basic")!.reasons).toEqual([
      "changed: examples/terraform/basic/main.tf",
      "calls modules-out/terraform-aws-self-runners (lambdas/a.ts via pinned lambdas)",
    ]);
  });

  it("follows module calls transitively and survives a cycle", () => {
    const chain: RepoGraph = {
      terraform: [
        { dir: "root", modules: ["a"] },
        { dir: "a", modules: ["b"] },
        { dir: "b", modules: ["a"] },
      ],
      cdktf: [],
      pins: [],
    };
    expect(affectedRoots(["b/main.tf"], chain)).toEqual(["root:root"]);
  });

  it("counts a pin naming a folder inside a module as a change of that module", () => {
    const pinned = { ...graph, pins: [{ prefix: "lambdas", dir: "modules-out/terraform-aws-self-runners/lambdas" }] };
    expect(affectedRoots(["lambdas/a.ts"], pinned)).toEqual(["examples/terraform/basic:examples/terraform/basic", "examples/terraform/environments/dev:examples/terraform/environments/dev"]);
  });

  it("affects a CDKTF app through a pin on a folder it imports from", () => {
    const pinned = { ...graph, pins: [{ prefix: "contracts", dir: "stacks" }] };
    const decision = decideAffected(pinned, ["contracts/scale-up.ts"]);
    expect(decision.affected).toEqual([{ kind: "cdktf", root: "examples/cdktf", stack: "ci-runners", reasons: ["contracts/scale-up.ts via pinned contracts"] }]);
  });

  it("uses explicit roots when given, so a module can be planned on its own", () => {
    expect(affectedRoots(["lambdas/a.ts"], { ...graph, roots: ["modules-out/terraform-aws-self-runners"] })).toEqual([
      "modules-out/terraform-aws-self-runners:modules-out/terraform-aws-self-runners",
    ]);
  });

  it("renders a matrix of root, stack and kind, and a summary naming the reasons and what is left out", () => {
    const decision = decideAffected(graph, ["infra/state/main.tf", "stacks/index.ts"]);
    expect(matrixOf(decision)).toEqual({
      include: [
        { root: "infra/state", stack: "infra/state", kind: "terraform" },
        { root: "examples/cdktf", stack: "ci-runners", kind: "cdktf" },
      ],
    });
    const summary = summaryOf(decision);
    expect(summary).toContain("### Affected: 2 of 4 roots and stacks (2 changed files)");
    expect(summary).toContain("| `examples/cdktf` stack `ci-runners` | changed: stacks/index.ts |");
    expect(summary).toContain("Not affected: `examples/terraform/basic`, `examples/terraform/environments/dev`");
  });
});
