import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Masker } from "../../tools/plan-comment/mask.js";
import { parseDiagnostics, readPlan } from "../../tools/plan-comment/plan.js";
import { GITHUB_COMMENT_LIMIT, markerFor, renderComment } from "../../tools/plan-comment/render.js";
import { REPO_ROOT } from "../helpers/paths.js";
import { GOLDEN, PLAN_CASES, planFixture, structureProblems, type PlanCase } from "./fixtures.js";

const RUN_URL = "https://github.com/acme/infra/actions/runs/4242";
// Account ids (in ARNs) and GitHub tokens: the kind of pattern users pass with --mask.
const MASKS = ["\\b\\d{12}\\b", "ghp_[A-Za-z0-9]{36}"];

function render(name: PlanCase, masks = MASKS): string {
  const fixture = planFixture(name);
  const plan = readPlan({ name: `infra/${name}`, plan: fixture.plan, text: fixture.text, exitCode: fixture.exitCode });
  return renderComment(plan, { masker: Masker.fromPatterns(masks), runUrl: RUN_URL });
}

describe("plan comments rendered from real plans (golden files; UPDATE_GOLDEN=1 rewrites them)", () => {
  for (const name of PLAN_CASES) {
    it(`renders ${name} as test/plan-comment/golden/${name}.md`, () => {
      const body = render(name);
      const file = join(GOLDEN, `${name}.md`);
      if (process.env.UPDATE_GOLDEN === "1") {
        mkdirSync(GOLDEN, { recursive: true });
        writeFileSync(file, body);
      }
      expect(existsSync(file), `${file} is missing: run UPDATE_GOLDEN=1 npx vitest run test/plan-comment/render.test.ts`).toBe(true);
      expect(body).toBe(readFileSync(file, "utf8"));
    });

    it(`keeps ${name} under GitHub's limit, starting with its marker and summary, with every fence and fold closed`, () => {
      const body = render(name);
      expect(body.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
      expect(body.startsWith(markerFor(`infra/${name}`))).toBe(true);
      const summary = body.search(/\*\*(Plan:|✅ No changes\.|❌ The plan failed\.)/);
      expect(summary).toBeGreaterThan(0);
      expect(body.indexOf("<details")).toSatisfy((fold: number) => fold === -1 || fold > summary);
      expect(structureProblems(body)).toEqual([]);
    });
  }
});

describe("docs/plan-comments.md", () => {
  for (const name of ["destroy-many", "huge"] as const) {
    it(`shows the ${name} comment exactly as rendered (UPDATE_GOLDEN=1 pastes it)`, () => {
      const file = join(REPO_ROOT, "docs", "plan-comments.md");
      const [open, close] = [`<!-- golden:${name} -->\n`, `\n<!-- /golden:${name} -->`];
      let doc = readFileSync(file, "utf8");
      const [start, end] = [doc.indexOf(open), doc.indexOf(close)];
      expect(start, `${open.trim()} is missing from ${file}`).toBeGreaterThan(0);
      if (process.env.UPDATE_GOLDEN === "1") {
        doc = doc.slice(0, start + open.length) + render(name) + doc.slice(end);
        writeFileSync(file, doc);
      }
      expect(doc.slice(start + open.length, doc.indexOf(close))).toBe(render(name));
    });
  }
});

describe("what a reviewer sees", () => {
  it("summarizes a create of the whole module in one line with a link to the run", () => {
    const body = render("module-create");
    expect(body).toContain(`**Plan:** 81 to add, 0 to change, 0 to destroy.`);
    expect(body).toContain(`[workflow run](${RUN_URL})`);
    expect(body).not.toContain("[!CAUTION]");
  });

  it("lists every destroy and replace in the warning block before any detail", () => {
    const body = render("destroy-many");
    const warning = body.slice(body.indexOf("[!CAUTION]"), body.indexOf("#### "));
    expect(body).toContain("**Plan:** 0 to add, 0 to change, **37 to destroy**, **1 to replace**.");
    for (let index = 3; index < 40; index += 1) expect(warning).toContain(` [${index}]`);
    expect(warning).toContain("replace <code>terraform_data.database</code>");
  });

  it("shows Terraform's warnings in a fence that the warning's own backticks cannot close", () => {
    const body = render("destroy-many");
    expect(body).toContain("[!WARNING]");
    expect(body).toContain("````text\nWarning: Check block assertion failed");
    expect(body).toContain("Fewer than 10 runner servers would remain ```\n# not a heading\n````");
  });

  it("reads diagnostics framed and coloured as Terraform prints them on a terminal", () => {
    const plain = planFixture("module-failed").text;
    const error = plain.slice(plain.indexOf("Error: "));
    const framed = `\x1b[0m\n╷\n${error.trimEnd().split("\n").map((line, index) => `│ ${index === 0 ? line.replace("Error:", "\x1b[1m\x1b[31mError:\x1b[0m\x1b[1m") : line}`).join("\n")}\n╵\n`;
    const [plainDiagnostic] = parseDiagnostics(plain);
    expect(plainDiagnostic!.text.startsWith("Error: reading STS Caller Identity")).toBe(true);
    expect(parseDiagnostics(framed)).toEqual([plainDiagnostic]);
  });

  it("comments on a failed plan with Terraform's error", () => {
    const body = render("module-failed");
    expect(body).toContain("**❌ The plan failed.**");
    expect(body).toContain("Error: reading STS Caller Identity");
    expect(body).not.toContain("<details");
  });

  it("shows no partial changes of an errored plan, only that it failed", () => {
    const plan = readPlan({ name: "dev", plan: { errored: true, resource_changes: [{ address: "x.y", change: { actions: ["delete"], before: {} } }] }, exitCode: 1 });
    const body = renderComment(plan);
    expect(body).toContain("**❌ The plan failed.**");
    expect(body).not.toContain("x.y");
  });

  it("says no changes for an empty plan", () => {
    expect(render("no-op")).toContain("**✅ No changes.**");
  });

  it("shows a changed secret as changed without its values, before or after", () => {
    const fixture = planFixture("sensitive");
    expect(fixture.json).toContain("correct-horse-battery-staple");
    expect(fixture.json).toContain("hunter2-the-first");
    const body = render("sensitive", []);
    expect(body).toContain("- input.password = (sensitive value)\n+ input.password = (sensitive value)");
    expect(body).not.toContain("correct-horse-battery-staple");
    expect(body).not.toContain("hunter2-the-first");
  });

  it("hides what --mask matches", () => {
    expect(render("module-create", [])).toContain("123456789012");
    const masked = render("module-create");
    expect(masked).not.toContain("123456789012");
    expect(masked).toContain("arn:aws:ssm:eu-west-1:***:parameter/self-runners/draining");
  });

  it("fails when a --mask pattern is not a regular expression, naming it", () => {
    expect(() => Masker.fromPatterns(["(unclosed"])).toThrow('--mask "(unclosed" is not a valid regular expression');
  });

  it("shows a move with where the resource came from", () => {
    const body = render("moved");
    expect(body).toContain("**Plan:** 0 to add, 0 to change, 0 to destroy, 1 to move.");
    expect(body).toContain("<code>terraform_data.jobs_queue</code> (moved from <code>terraform_data.queue</code>)");
  });

  it("shows an import with its id, counted once as an import and once as a change", () => {
    const body = render("import");
    expect(body).toContain("**Plan:** 0 to add, 1 to change, 0 to destroy, 1 to import.");
    expect(body).toContain("<code>terraform_data.legacy_queue</code> (import id <code>legacy-queue-7</code>)");
  });

  it("trims a 1,500-destroy plan from the middle, keeping the summary, every destroy in the warning, both ends and a notice", () => {
    const fixture = planFixture("huge");
    expect(fixture.json!.length).toBeGreaterThan(GITHUB_COMMENT_LIMIT * 10);
    const body = render("huge");
    expect(body.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(body).toContain("**Plan:** 0 to add, 0 to change, **1,500 to destroy**.");
    expect(body).toContain("terraform_data.server</code> × 1,500: [0] [1] [2]");
    expect(body).toContain(" [1499]\n");
    expect(body).toContain("<code>terraform_data.server[0]</code>");
    expect(body).toContain("<code>terraform_data.server[1499]</code>");
    expect(body).toMatch(/✂️ [\d,]+ of 1,500 resource diffs omitted from the middle/);
    expect(body.indexOf("✂️")).toBeGreaterThan(body.indexOf("server[0]</code>"));
    expect(body.indexOf("✂️")).toBeLessThan(body.indexOf("server[1499]</code>"));
  });

  it("marks the attribute that forces a replacement", () => {
    expect(render("replace")).toContain('+ triggers_replace[0] = "postgres-16"  # forces replacement');
  });

  it("gives every stack name its own marker, one that no name can close early", () => {
    const names = ["dev", "dev-eu", "a--b", "a-b", "x -->", "x --&gt;", "50%", "line\nbreak"];
    const markers = names.map(markerFor);
    expect(new Set(markers).size).toBe(names.length);
    for (const marker of markers) expect(marker.indexOf("-->")).toBe(marker.length - 3);
  });

  it("escapes user text outside fences so it cannot open HTML or links", () => {
    const plan = readPlan({
      name: "evil</code><img src=x>",
      plan: { resource_changes: [{ address: 'x.y["a`b](http://e.vil)<b>"]', change: { actions: ["delete"], before: { v: "```" }, before_sensitive: {} } }] },
    });
    const body = renderComment(plan);
    expect(body).not.toContain("<img");
    expect(body).not.toContain("<b>");
    expect(body).not.toContain("](http");
    expect(structureProblems(body)).toEqual([]);
  });
});
