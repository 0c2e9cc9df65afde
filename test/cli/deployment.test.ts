import { describe, expect, it } from "vitest";
import { run } from "../../cli/main.js";
import { deploymentFromOutputs, deploymentFromPrefix } from "../../cli/deployment.js";
import { CliError, UsageError } from "../../cli/errors.js";

// Names as the constructs give them (stacks/self-runners.ts, runner-queue.ts, draining-switch.ts).

const output = (value: unknown) => ({ sensitive: false, type: "string", value });
const OUTPUTS = {
  jobs_table_name: output("ci-runners-jobs"),
  runners_table_name: output("ci-runners-runners"),
  draining_ssm_parameter_name: output("/ci-runners/draining"),
  queue_urls: output({ linux: "https://sqs.eu-central-1.amazonaws.com/123456789012/ci-runners-linux.fifo" }),
  dead_letter_queue_arns: output({ linux: "arn:aws:sqs:eu-central-1:123456789012:ci-runners-linux-dlq.fifo" }),
};

describe("deploymentFromPrefix", () => {
  it("derives the tables, the switch and no pools (found from the queues later)", () => {
    expect(deploymentFromPrefix("sr", "eu-west-1")).toEqual({ prefix: "sr", region: "eu-west-1", jobsTable: "sr-jobs", runnersTable: "sr-runners", drainingParameter: "/sr/draining" });
  });

  it("fails with a usage error on a prefix the module's rule refuses", () => {
    expect(() => deploymentFromPrefix("-sr")).toThrow(UsageError);
  });
});

describe("deploymentFromOutputs", () => {
  it("reads names, pools and the region from `terraform output -json`", () => {
    expect(deploymentFromOutputs(OUTPUTS)).toEqual({
      prefix: "ci-runners",
      region: "eu-central-1",
      jobsTable: "ci-runners-jobs",
      runnersTable: "ci-runners-runners",
      drainingParameter: "/ci-runners/draining",
      pools: { linux: { queueName: "ci-runners-linux.fifo", deadLetterQueueName: "ci-runners-linux-dlq.fifo", queueUrl: "https://sqs.eu-central-1.amazonaws.com/123456789012/ci-runners-linux.fifo" } },
    });
  });

  it("keeps --region over the ARNs' region", () => {
    expect(deploymentFromOutputs(OUTPUTS, "us-east-1").region).toBe("us-east-1");
  });

  it.each([
    [{ ...OUTPUTS, jobs_table_name: undefined }, "--outputs: missing output(s) jobs_table_name (is this the self-runners module's output?)"],
    [{ ...OUTPUTS, queue_urls: output("not a map") }, "--outputs: queue_urls must be a map of strings"],
    [{ ...OUTPUTS, jobs_table_name: output("ledger") }, '--outputs: jobs_table_name "ledger" does not end in -jobs; cannot tell the prefix'],
    [{ ...OUTPUTS, dead_letter_queue_arns: output({}) }, "--outputs: pool linux has a queue URL but no dead-letter queue ARN"],
    [[], "--outputs: expected the JSON object of `terraform output -json`"],
  ])("fails when the outputs are wrong: %#", (json, message) => {
    expect(() => deploymentFromOutputs(json)).toThrow(new CliError(message));
  });
});

describe("--outputs on the command line", () => {
  it("fails with exit code 1 when the file cannot be read", async () => {
    // Arrange
    const err: string[] = [];

    // Act
    const code = await run(["status", "--outputs", "/nonexistent/outputs.json"], { stdout: () => undefined, stderr: (t) => err.push(t), clients: () => { throw new Error("no AWS call expected"); } });

    // Assert
    expect({ code, err }).toEqual({ code: 1, err: ["self-runners: --outputs: cannot read /nonexistent/outputs.json: ENOENT: no such file or directory, open '/nonexistent/outputs.json'"] });
  });
});
