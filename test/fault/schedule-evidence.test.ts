import { describe, expect, it } from "vitest";
import { racedProgress, webhookWritesInsideLaunches } from "./scenarios-interleaved-webhooks.js";
import type { ScheduleStep } from "./world/scheduler.js";

// The readings of a traced schedule that the interleaved webhook scenarios rest their evidence on.

const step = (invocation: string, what: string): ScheduleStep => ({ at: 0, invocation, fn: invocation.replace(/-\d+$/, ""), what });
const WRITE = "dynamodb DynamoDB_20120810.UpdateItem";

describe("webhookWritesInsideLaunches", () => {
  it("counts a webhook's ledger write between one scale-up invocation's claim and its own CreateFleet", () => {
    // Arrange
    const steps = [step("scale-up-1", WRITE), step("scale-up-1", "claim"), step("webhook-2", WRITE), step("scale-up-1", "aws ec2"), step("scale-up-1", "create-fleet")];

    // Act / Assert
    expect(webhookWritesInsideLaunches(steps)).toBe(1);
  });

  it("does not count a write before the claim, after the launch, or beside another invocation's launch", () => {
    // Arrange: scale-up-3 claims but never launches; scale-up-1 launches with no write inside.
    const steps = [step("webhook-2", WRITE), step("scale-up-1", "claim"), step("scale-up-3", "claim"), step("scale-up-1", "create-fleet"), step("webhook-4", WRITE), step("webhook-4", "dynamodb DynamoDB_20120810.GetItem")];

    // Act / Assert
    expect(webhookWritesInsideLaunches(steps)).toBe(0);
  });
});

describe("racedProgress", () => {
  it("names a job whose in_progress and completed invocations took turns, and not one handled one after the other", () => {
    // Arrange
    const steps = [
      step("webhook-1", "delivery in_progress job 7"),
      step("webhook-2", "delivery completed job 7"),
      step("webhook-1", WRITE),
      step("webhook-2", WRITE),
      step("webhook-1", WRITE),
      step("webhook-3", "delivery in_progress job 8"),
      step("webhook-3", WRITE),
      step("webhook-4", "delivery completed job 8"),
      step("webhook-4", WRITE),
    ];

    // Act / Assert
    expect(racedProgress(steps)).toEqual(["7"]);
  });
});
