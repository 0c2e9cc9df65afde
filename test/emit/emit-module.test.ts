/**
 * Golden-file test of the emitter: a small fixture stack is emitted into a temporary directory and
 * compared, file by file, with test/emit/golden/fixture/. The emitted module must then pass
 * `terraform fmt -check`, `init -backend=false` + `validate`, and a `terraform test` run against a
 * mocked AWS provider (all offline, through the provider mirror).
 *
 * After an intended change to the emitter, regenerate the golden files and review their diff:
 *
 *   UPDATE_GOLDEN=1 npx vitest run test/emit/emit-module.test.ts
 *
 * Without terraform the test fails with the harness's install instructions; it never skips.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { App, AssetType, Fn, TerraformAsset, TerraformIterator, TerraformOutput, TerraformStack, TerraformVariable } from "../../stacks/cdktf.js";
import { AwsProvider, IamRolePolicy, LambdaFunction, SqsQueue, SsmParameter } from "../../stacks/aws.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emitModule, EmitError, type EmitResult } from "../../stacks/emit/index.js";
import { expectSuccess, runTerraform, tempDir, terraformInit, terraformValidate } from "../helpers/terraform.js";

const GOLDEN = path.join(path.dirname(fileURLToPath(import.meta.url)), "golden", "fixture");
const UPDATE_GOLDEN = process.env.UPDATE_GOLDEN === "1";

const OPTIONS = {
  moduleName: "terraform-aws-emit-fixture",
  description: "The emitter's golden-file fixture: one queue per pool and a Lambda shipped with the module.",
  usageExample: ['module "fixture" {', '  source   = "./fixture"', '  role_arn = aws_iam_role.webhook.arn', "}"].join("\n"),
};

/** A stack with what the real one uses: object-typed variables with validation, for_each, an asset, lifecycle, IAM policy variables. */
function fixtureStack(scratch: string): TerraformStack {
  const stack = new TerraformStack(new App({ outdir: path.join(scratch, "cdktf.out") }), "fixture");
  new AwsProvider(stack, "aws", { region: "eu-west-1" });

  const prefix = new TerraformVariable(stack, "prefix", {
    type: "string",
    default: "sr",
    description: "Prefix of every name.",
    nullable: false,
    validation: [
      {
        condition: '${can(regex("^[a-z][a-z0-9-]{0,18}[a-z0-9]$", var.prefix))}',
        errorMessage: "prefix must be 2-20 characters: lowercase letters, digits and hyphens, starting with a letter.",
      },
    ],
  });
  const pools = new TerraformVariable(stack, "pools", {
    type: "map(object({ labels = list(string), max_runners = optional(number, 10), spot = optional(bool, true) }))",
    default: { linux: { labels: ["self-hosted", "linux"], max_runners: 2, spot: false } },
    description: "Runner pools by name.",
    validation: [
      {
        condition: "${alltrue([for name, pool in var.pools : length(pool.labels) > 0])}",
        errorMessage: 'every pool needs at least one label, e.g. ["linux"].',
      },
    ],
  });
  const roleArn = new TerraformVariable(stack, "role_arn", { type: "string", description: "Execution role of the webhook." });
  const logLevel = new TerraformVariable(stack, "log_level", { type: "string", default: "", description: 'Powertools log level; "" keeps INFO.' });

  const pool = TerraformIterator.fromMap(pools.value);
  const jobs = new SqsQueue(stack, "jobs", {
    forEach: pool,
    name: `${prefix.stringValue}-${pool.key}.fifo`,
    fifoQueue: true,
    tags: { "self-runners:pool": pool.key, Description: 'jobs for "$${pool}" \\ runners' },
  });

  const secret = new SsmParameter(stack, "webhook_secret", {
    name: `/${prefix.stringValue}/webhook-secret`,
    type: "SecureString",
    value: "set-me",
    description: "Webhook secret.\nSet it out of band; Terraform ignores its value.\n",
    lifecycle: { ignoreChanges: ["value"] },
  });

  const zip = new TerraformAsset(stack, "webhook-zip", { path: path.join(scratch, "webhook.zip"), type: AssetType.FILE });
  new LambdaFunction(stack, "webhook", {
    functionName: `${prefix.stringValue}-webhook`,
    role: roleArn.stringValue,
    handler: "index.handler",
    runtime: "nodejs22.x",
    architectures: ["arm64"],
    filename: zip.path,
    sourceCodeHash: Fn.filebase64sha256(zip.path),
    environment: {
      variables: {
        POOLS: Fn.jsonencode(pools.value),
        POWERTOOLS_LOG_LEVEL: logLevel.stringValue,
        WEBHOOK_SECRET_PARAMETER: secret.name,
      },
    },
  });
  new IamRolePolicy(stack, "home", {
    role: "webhook",
    policy: Fn.jsonencode({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::home/${aws:username}/*"] }],
    }),
  });

  new TerraformOutput(stack, "queue_urls", {
    value: `\${{ for name, queue in aws_sqs_queue.${jobs.friendlyUniqueId} : name => queue.url }}`,
    description: "URL of each pool's job queue.",
  });
  return stack;
}

const TERRAFORM_TEST = `
mock_provider "aws" {}

variables {
  role_arn = "arn:aws:iam::123456789012:role/webhook"
}

run "one_queue_per_pool" {
  command = plan

  variables {
    pools = {
      linux = { labels = ["linux"] }
      gpu   = { labels = ["gpu"], max_runners = 1 }
    }
  }

  assert {
    condition     = length(aws_sqs_queue.jobs) == 2 && aws_sqs_queue.jobs["gpu"].name == "sr-gpu.fifo"
    error_message = "expected one queue per pool named <prefix>-<pool>.fifo"
  }

  assert {
    condition     = aws_sqs_queue.jobs["gpu"].tags["Description"] == "jobs for \\"$\${pool}\\" \\\\ runners"
    error_message = "quotes, backslashes and escaped interpolations must survive"
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.home.policy).Statement[0].Resource[0] == "arn:aws:s3:::home/$\${aws:username}/*"
    error_message = "IAM policy variables must stay literal"
  }

  assert {
    condition     = aws_ssm_parameter.webhook_secret.description == "Webhook secret.\\nSet it out of band; Terraform ignores its value.\\n"
    error_message = "multi-line strings must keep their exact content"
  }

  assert {
    condition     = aws_lambda_function.webhook.environment[0].variables["POWERTOOLS_LOG_LEVEL"] == ""
    error_message = "an empty-string default must be kept"
  }
}

run "rejects_a_bad_prefix" {
  command = plan

  variables {
    prefix = "Not_Valid"
  }

  expect_failures = [var.prefix]
}

run "rejects_a_pool_without_labels" {
  command = plan

  variables {
    pools = { empty = { labels = [] } }
  }

  expect_failures = [var.pools]
}
`;

function listFiles(dir: string, base = dir): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return entry.name === ".terraform" ? [] : listFiles(full, base);
      return entry.name === ".terraform.lock.hcl" ? [] : [path.relative(base, full)];
    })
    .sort();
}

describe("emitModule on the fixture stack", () => {
  const scratch = tempDir("emit");
  const moduleDir = path.join(scratch, "module");
  let emitted: EmitResult | undefined;

  // Emitted on first use rather than in beforeAll: without terraform every test then fails with
  // the harness's message instead of being reported as skipped.
  function emit(): EmitResult {
    if (!emitted) {
      fs.writeFileSync(path.join(scratch, "webhook.zip"), "not really a zip, but a fixed set of bytes\n");
      emitted = emitModule(fixtureStack(scratch), { ...OPTIONS, outDir: moduleDir });
    }
    return emitted;
  }

  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

  it("writes the golden files", () => {
    emit();
    if (UPDATE_GOLDEN) {
      fs.rmSync(GOLDEN, { recursive: true, force: true });
      fs.cpSync(moduleDir, GOLDEN, { recursive: true });
    }
    expect(listFiles(moduleDir)).toEqual(listFiles(GOLDEN));
    for (const file of listFiles(GOLDEN)) {
      expect(fs.readFileSync(path.join(moduleDir, file), "utf8"), file).toBe(fs.readFileSync(path.join(GOLDEN, file), "utf8"));
    }
  });

  it("reports what it wrote", () => {
    const result = emit();
    expect(result.outDir).toBe(moduleDir);
    expect(result.files).toEqual(listFiles(moduleDir));
    expect(result.assets.map((asset) => asset.file)).toEqual(["lambdas/webhook.zip"]);
  });

  it("has no provider or backend block and no cdktf asset path", () => {
    emit();
    const hcl = ["versions.tf", "variables.tf", "main.tf", "outputs.tf"].map((f) => fs.readFileSync(path.join(moduleDir, f), "utf8")).join("\n");
    expect(hcl).not.toMatch(/^\s*(provider\s+"|backend\s+")/m);
    expect(hcl).not.toContain("assets/");
    expect(hcl).not.toMatch(/"\$\{[^"]*\}"\s*$/m);
  });

  it("is formatted (terraform fmt -check)", async () => {
    emit();
    const fmt = await runTerraform(["fmt", "-check", "-diff", "-recursive"], moduleDir, { providers: false });
    expect(fmt.stdout + fmt.stderr).toBe("");
    expect(fmt.code).toBe(0);
  });

  it("initialises offline and validates", async () => {
    emit();
    await terraformInit(moduleDir);
    const validate = await terraformValidate(moduleDir);
    expect(validate.stdout).toContain("Success! The configuration is valid.");
    expect(validate.stdout + validate.stderr).not.toMatch(/Warning/);
  });

  it("passes terraform test with a mocked provider", async () => {
    emit();
    const testDir = path.join(scratch, "tested");
    fs.cpSync(moduleDir, testDir, { recursive: true });
    fs.mkdirSync(path.join(testDir, "tests"));
    fs.writeFileSync(path.join(testDir, "tests", "fixture.tftest.hcl"), TERRAFORM_TEST);
    await terraformInit(testDir);
    const test = expectSuccess(await runTerraform(["test"], testDir), "test", testDir);
    expect(test.stdout).toMatch(/3 passed, 0 failed/);
  });
});

describe("emitModule on its output directory", () => {
  let scratch: string;

  beforeAll(() => {
    scratch = tempDir("emit-dir");
    fs.writeFileSync(path.join(scratch, "webhook.zip"), "zip");
  });

  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

  it("removes whatever a previous emission left behind", () => {
    const outDir = path.join(scratch, "module");
    emitModule(fixtureStack(scratch), { ...OPTIONS, outDir });
    const first = listFiles(outDir);
    fs.writeFileSync(path.join(outDir, "stale.tf"), "# from an older build\n");
    fs.writeFileSync(path.join(outDir, "lambdas", "removed.zip"), "old");

    emitModule(fixtureStack(scratch), { ...OPTIONS, outDir });

    expect(listFiles(outDir)).toEqual(first);
  });

  it("fails when the directory holds files that are not an emitted module", () => {
    const outDir = path.join(scratch, "not-a-module");
    fs.mkdirSync(outDir);
    fs.writeFileSync(path.join(outDir, "notes.txt"), "mine");
    expect(() => emitModule(fixtureStack(scratch), { ...OPTIONS, outDir })).toThrow(EmitError);
    expect(fs.readFileSync(path.join(outDir, "notes.txt"), "utf8")).toBe("mine");
  });

  it("writes variables.tf in the given groups under banners, the rest under Other", () => {
    const outDir = path.join(scratch, "grouped");
    emitModule(fixtureStack(scratch), { ...OPTIONS, outDir, variableGroups: [{ title: "Naming", variables: ["prefix"] }, { title: "Pools", variables: ["pools", "role_arn"] }] });
    const variables = fs.readFileSync(path.join(outDir, "variables.tf"), "utf8");
    const order = [...variables.matchAll(/^# -+ (\w+) -+$|^variable "(\w+)"/gm)].map((m) => m[1] ?? m[2]);
    expect(order).toEqual(["Naming", "prefix", "Pools", "pools", "role_arn", "Other", "log_level"]);
  });

  it("writes resources to the files given by construct path", () => {
    const outDir = path.join(scratch, "by-file");
    const result = emitModule(fixtureStack(scratch), { ...OPTIONS, outDir, files: [{ file: "queues.tf", constructs: ["jobs"] }] });
    expect(result.files).toContain("queues.tf");
    expect(fs.readFileSync(path.join(outDir, "queues.tf"), "utf8")).toMatch(/^resource "aws_sqs_queue" "jobs" \{/);
    expect(fs.readFileSync(path.join(outDir, "main.tf"), "utf8")).not.toContain("aws_sqs_queue");
  });

  it("fails when asked to emit into the working directory", () => {
    expect(() => emitModule(fixtureStack(scratch), { ...OPTIONS, outDir: process.cwd() })).toThrow(/refusing to emit into/);
  });

  it("fails when a resource needs a provider other than aws", async () => {
    const stack = fixtureStack(scratch);
    const { TerraformResource } = await import("../../stacks/cdktf.js");
    new TerraformResource(stack, "pet", { terraformResourceType: "random_pet" });
    expect(() => emitModule(stack, { ...OPTIONS, outDir: path.join(scratch, "random") })).toThrow(/needs the "random" provider/);
  });
});
