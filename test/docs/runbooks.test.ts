import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RUNBOOK_IDS } from "../../stacks/operations/alarm-conventions.js";
import { REPO_ROOT } from "../helpers/paths.js";

// Every alarm's description ends with a link to docs/runbooks.md#<id>: each id must be an anchor there,
// and every alarm section of the page must belong to an alarm the module creates.
describe("docs/runbooks.md", () => {
  const page = readFileSync(join(REPO_ROOT, "docs", "runbooks.md"), "utf8");
  const anchors = [...page.matchAll(/<a id="([a-z0-9-]+)"><\/a>/g)].map((match) => match[1]);

  it("has exactly one anchor per alarm runbook id", () => {
    for (const id of RUNBOOK_IDS) expect(anchors.filter((anchor) => anchor === id), id).toHaveLength(1);
  });

  it("has no alarm anchor the module does not use", () => {
    expect(anchors.filter((anchor) => !(RUNBOOK_IDS as readonly string[]).includes(anchor))).toEqual([]);
  });
});
