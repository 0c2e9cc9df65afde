import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { changelogSection } from "../../scripts/release/version.js";
import { REPO_ROOT } from "../helpers/paths.js";
import { parseYamlSubset } from "../helpers/yaml-subset.js";

// examples/github-workflows/release.yml is read with the block-YAML subset reader (no YAML library is
// installed) and its shell steps with `bash -n`. GitHub is not reachable from the tests: each action's
// inputs are checked against the action.yml of the pinned commit, copied here.

interface Step {
  readonly name: string;
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, unknown>;
  readonly env?: Record<string, unknown>;
}

const FILE = join(REPO_ROOT, "examples", "github-workflows", "release.yml");
const text = readFileSync(FILE, "utf8");
const workflow = parseYamlSubset(text) as {
  on: Record<string, Record<string, string[]>>;
  permissions: Record<string, string>;
  jobs: Record<string, { permissions: Record<string, string>; env: Record<string, string>; steps: Step[] }>;
};
const job = workflow.jobs.release!;
const steps = job.steps;
const indexOf = (pattern: RegExp) => steps.findIndex((s) => pattern.test(s.run ?? "") || pattern.test(s.uses ?? ""));

// Inputs of the pinned actions, from their action.yml at the pinned commits.
const PINNED: Record<string, { version: string; inputs: string[] }> = {
  "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1": {
    version: "v7.0.1",
    inputs: ["repository", "ref", "token", "ssh-key", "persist-credentials", "path", "clean", "filter", "sparse-checkout", "fetch-depth", "fetch-tags", "lfs", "submodules"],
  },
  "actions/setup-node@820762786026740c76f36085b0efc47a31fe5020": {
    version: "v7.0.0",
    inputs: ["node-version", "node-version-file", "architecture", "check-latest", "registry-url", "scope", "token", "cache", "cache-dependency-path"],
  },
  "actions/attest-build-provenance@a2bbfa25375fe432b6a289bc6b6cd05ecd0c4c32": {
    version: "v4.1.0",
    inputs: ["subject-path", "subject-digest", "subject-name", "subject-checksums", "push-to-registry", "show-summary", "github-token"],
  },
};

describe("examples/github-workflows/release.yml", () => {
  it("runs on version tags only, read-only by default, with write access to releases, OIDC and attestations for the job", () => {
    expect(workflow.on).toEqual({ push: { tags: ["v*.*.*"] } });
    expect(workflow.permissions).toEqual({ contents: "read" });
    expect(job.permissions).toEqual({ contents: "write", "id-token": "write", attestations: "write" });
  });

  it("pins every action to a full commit id, named by a comment above it, and passes only inputs the action has", () => {
    const lines = text.split("\n");
    const uses = steps.filter((s) => s.uses !== undefined);
    expect(uses.length).toBeGreaterThanOrEqual(3);
    for (const step of uses) {
      expect(step.uses, step.name).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
      const pinned = PINNED[step.uses!];
      expect(pinned, step.uses).toBeDefined();
      const at = lines.findIndex((l) => l.includes(`uses: ${step.uses}`));
      const comment = lines.slice(0, at).reverse().find((l) => /^\s*#/.test(l));
      expect(comment?.trim(), step.uses).toBe(`# ${step.uses!.split("@")[0]} ${pinned!.version}`);
      for (const input of Object.keys(step.with ?? {})) expect(pinned!.inputs, `${step.uses} input ${input}`).toContain(input);
    }
  });

  it("installs locked dependencies, releases the tag's version, attests, publishes, then pushes the registry tree, in that order", () => {
    const order = [/npm ci/, /npm run release/, /attest-build-provenance/, /gh release create/, /git push origin HEAD/].map(indexOf);
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(steps[indexOf(/npm run release/)]!.run).toMatch(/npm run release -- --version "\$version" --apply --out "\$OUT_DIR"/);
  });

  it("attests every file the release lists in SHA256SUMS and publishes those files", () => {
    expect(steps[indexOf(/attest-build-provenance/)]!.with).toEqual({ "subject-checksums": `${job.env.OUT_DIR}/SHA256SUMS` });
    const publish = steps[indexOf(/gh release create/)]!.run!;
    for (const asset of ['"$OUT_DIR"/*.zip', '"$OUT_DIR"/*.cdx.json', '"$OUT_DIR/provenance.intoto.json"', '"$OUT_DIR/SHA256SUMS"']) expect(publish).toContain(asset);
  });

  it("has shell steps that bash parses", () => {
    for (const step of steps.filter((s) => s.run)) {
      const result = spawnSync("bash", ["-n"], { input: step.run, encoding: "utf8" });
      expect(result.stderr, step.name).toBe("");
      expect(result.status, step.name).toBe(0);
    }
  });

  it("takes the release notes from the version's CHANGELOG section (its awk line run on CHANGELOG.md)", () => {
    const awk = steps[indexOf(/gh release create/)]!.run!.split("\n").find((l) => l.startsWith("awk "))!;
    const script = `version=0.1.0\n${awk.replace("> notes.md", "")}`;
    const result = spawnSync("bash", ["-c", script], { cwd: REPO_ROOT, encoding: "utf8" });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe(changelogSection(readFileSync(join(REPO_ROOT, "CHANGELOG.md"), "utf8"), "0.1.0"));
  });
});
