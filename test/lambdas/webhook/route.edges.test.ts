import { describe, expect, it } from "vitest";
import { InvalidWorkflowJobError } from "../../../lambdas/shared/index.js";
import { routeDelivery } from "../../../lambdas/webhook/route.js";
import { workflowJobQueuedFixture } from "../../helpers/github.js";

// Inputs route.test.ts did not send, found by Stryker's survivors (docs/reliability.md, mutation testing).
const pools = { linux: { labels: ["linux", "x64"] } };
const base = {
  event: "workflow_job",
  deliveryId: "0b989ba4-242f-11e5-81e1-c7b6966d2516",
  pools,
  receivedAt: new Date("2024-06-11T14:05:41.000Z"),
  admission: { allowedOwners: [], allowedRepositories: [] },
  maxJobAgeSeconds: 3600,
};
const invalid = (field: string) => expect.objectContaining({ constructor: InvalidWorkflowJobError, field });

describe("routeDelivery: edges", () => {
  it("answers an empty X-GitHub-Event header as a missing one", () => {
    expect(routeDelivery({ ...base, event: "", payload: { action: "queued" } })).toEqual({ kind: "ignore", message: "ignored: no X-GitHub-Event header" });
  });

  it("fails on labels with a non-string among strings, before matching a pool", () => {
    // Arrange
    const payload = workflowJobQueuedFixture();
    payload.workflow_job.labels = ["linux", 5];

    // Act / Assert
    expect(() => routeDelivery({ ...base, payload })).toThrow(invalid("workflow_job.labels"));
  });

  it("fails when a queued job comes with an empty X-GitHub-Delivery: the message needs an id", () => {
    expect(() => routeDelivery({ ...base, deliveryId: "", payload: workflowJobQueuedFixture() })).toThrow(invalid("X-GitHub-Delivery"));
  });

  it.each([{ value: 1.5 }, { value: 2 ** 53 }])("fails when workflow_job.run_id is $value, a number but not a safe integer", ({ value }) => {
    // Arrange
    const payload = workflowJobQueuedFixture();
    payload.workflow_job.run_id = value;

    // Act / Assert
    expect(() => routeDelivery({ ...base, payload })).toThrow(invalid("workflow_job.run_id"));
  });

  it("says why a queued job without a creation time is refused", () => {
    // Arrange
    const payload = workflowJobQueuedFixture();
    delete payload.workflow_job.created_at;

    // Act / Assert
    expect(routeDelivery({ ...base, payload })).toEqual({ kind: "refuse", reason: "stale", message: "refused: workflow_job.created_at is missing or not a time" });
  });
});
