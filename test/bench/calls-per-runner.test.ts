import { describe, expect, it } from "vitest";
import { formatCallsPerRunner } from "../../bench/calls-per-runner.js";
import type { CallsPerRunnerFigure } from "../../bench/calls-per-runner.js";

/** A burst's figures: 3.5 AWS and 1.5 GitHub calls per runner, above both of issue 14's targets. */
const burst = (jobs: number): CallsPerRunnerFigure => ({
  jobs,
  runners: jobs,
  invocations: 1,
  environments: 1,
  aws: 3.5 * jobs,
  gitHub: 1.5 * jobs,
  awsPerRunner: 3.5,
  gitHubPerRunner: 1.5,
  awsPerDelivery: 3.5,
  gitHubPerDelivery: 1.5,
  byOperation: { "DynamoDB.UpdateItem": jobs },
  gitHubByRoute: { "POST /orgs/octo-org/actions/runners/generate-jitconfig": jobs },
  wallMs: 1_000,
  cpuMs: 500,
  simulatedSeconds: 0,
});

describe("formatCallsPerRunner: the figures printed when the bench file runs alone", () => {
  it("marks a burst against the targets only where npm run bench does: the 100-job burst", () => {
    const lines = formatCallsPerRunner([1, 10, 100, 1000].map(burst)).filter((line) => line.startsWith("scale-up burst"));
    expect(lines.map((line) => line.includes("> 3") && line.includes("> 1.02"))).toEqual([false, false, true, false]);
    expect(lines[3]).toContain("AWS/runner 3.50, GitHub/runner 1.50,");
  });
});
