import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Testing, TerraformStack, type App } from "../../stacks/cdktf.js";
import { AwsProvider } from "../../stacks/aws.js";
import { SelfRunners, type SelfRunnersProps } from "../../stacks/self-runners.js";
import { handlerNames } from "../../scripts/build-lambdas.js";
import { cacheAgentBundlePath } from "../../stacks/build-cache/cache-agent-object.js";
import { REPO_ROOT, scratchDir } from "./paths.js";

/** A dist/ directory with placeholder zips, so construct tests do not depend on a build. */
export function fakeDistDir(): string {
  const dir = scratchDir("dist");
  for (const sub of ["lambdas", "layers"]) mkdirSync(join(dir, sub), { recursive: true });
  for (const name of handlerNames(REPO_ROOT)) writeFileSync(join(dir, "lambdas", `${name}.zip`), name);
  writeFileSync(join(dir, "layers", "shared.zip"), "shared");
  mkdirSync(dirname(cacheAgentBundlePath(dir)), { recursive: true });
  writeFileSync(cacheAgentBundlePath(dir), "cache-agent");
  return dir;
}

/** A test app and stack with the AWS provider configured. */
export function testStack(): { app: App; stack: TerraformStack } {
  const app = Testing.app();
  const stack = new TerraformStack(app, "test");
  new AwsProvider(stack, "aws", { region: "eu-west-1" });
  return { app, stack };
}

/** Minimal valid props for SelfRunners. */
export function minimalProps(distDir: string, overrides: Partial<SelfRunnersProps> = {}): SelfRunnersProps {
  return {
    distDir,
    githubAppId: "123456",
    vpcId: "vpc-0123456789abcdef0",
    runnerSubnetIds: ["subnet-0123456789abcdef0"],
    pools: { linux: { labels: ["linux", "x64"], instanceTypes: ["m7i.large"] } },
    ...overrides,
  };
}

/** Synthesized Terraform JSON of a stack, parsed. */
export interface SynthesizedStack {
  resource: Record<string, Record<string, Record<string, unknown>>>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
  variable?: Record<string, Record<string, unknown>>;
  output?: Record<string, Record<string, unknown>>;
  locals?: Record<string, unknown>;
}

export function synthJson(stack: TerraformStack): SynthesizedStack {
  return JSON.parse(Testing.synth(stack)) as SynthesizedStack;
}

/** All resources of one type, by logical id. */
export function resourcesOf(synth: SynthesizedStack, type: string): Record<string, Record<string, unknown>> {
  return synth.resource[type] ?? {};
}

/** The single resource of a type whose logical id contains `idPart`. */
export function resourceOf(synth: SynthesizedStack, type: string, idPart: string): Record<string, unknown> {
  const matches = Object.entries(resourcesOf(synth, type)).filter(([id]) => id.includes(idPart));
  if (matches.length !== 1) throw new Error(`expected one ${type} matching ${idPart}, found ${matches.map(([id]) => id).join(", ") || "none"}`);
  return matches[0][1];
}

/** A test stack holding one SelfRunners (construct id `runners`, prefix `ci` unless overridden), synthesized. */
export function synthSelfRunners(distDir: string, overrides: Partial<SelfRunnersProps> = {}): SynthesizedStack {
  const { stack } = testStack();
  new SelfRunners(stack, "runners", minimalProps(distDir, { prefix: "ci", ...overrides }));
  return synthJson(stack);
}
