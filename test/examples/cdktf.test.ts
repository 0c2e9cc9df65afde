import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runTerraform } from "../../stacks/emit/terraform-cli.js";
import { buildApp } from "../../examples/cdktf/main.js";
import { REPO_ROOT, scratchDir } from "../helpers/paths.js";

// The CDKTF example must synthesize and its output must pass `terraform validate`; it uses the
// zips in dist/, which `npm test` builds first.
describe("examples/cdktf", () => {
  let stackDir: string;

  beforeAll(() => {
    expect(existsSync(join(REPO_ROOT, "dist", "lambdas", "webhook.zip")), "run npm run build:lambdas first").toBe(true);
    const outdir = scratchDir("cdktf-example");
    buildApp(outdir).synth();
    stackDir = join(outdir, "stacks", "ci-runners");
  });

  it("synthesizes the kit's resources for both pools", () => {
    const synth = JSON.parse(readFileSync(join(stackDir, "cdk.tf.json"), "utf8"));
    const [queue] = Object.values(synth.resource.aws_sqs_queue as Record<string, { for_each?: Record<string, unknown>; name: string }>).filter((q) => !q.name.includes("dlq"));
    expect(Object.keys(queue.for_each ?? {}).sort()).toEqual(["gpu", "linux"]);
    // The always-on functions; the optional ones (NAT failover, the WAF allowlist's updater) are off here.
    const always = Object.keys(synth.resource.aws_lambda_function).filter((id) => /webhook_function|scale-up|scale_up|reconcile|spot-interruption|spot_interruption/.test(id) && !/github/.test(id));
    expect(always).toHaveLength(4);
  });

  it("passes terraform validate", async () => {
    expect((await runTerraform(["init", "-backend=false"], stackDir)).code).toBe(0);
    const result = await runTerraform(["validate"], stackDir);
    expect(result.stderr).toBe("");
    expect(result.stdout).toContain("Success! The configuration is valid.");
  });
});
