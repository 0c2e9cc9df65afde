import { describe, expect, it } from "vitest";
import type { JobRecord } from "../../../../lambdas/libs/ledger/types.js";
import { messageFromRecord, relaunchDeduplicationId } from "../../../../lambdas/libs/ledger/requeue.js";
import { parseJobMessage } from "../../../../lambdas/shared/index.js";

const record: JobRecord = {
  pk: "job#41#1",
  phase: "launched",
  jobId: 41,
  runAttempt: 1,
  runId: 7,
  repository: "octo-org/app",
  org: "octo-org",
  pool: "linux",
  installationId: 9,
  labels: ["self-hosted", "linux"],
  deliveryIds: ["delivery-1"],
  receivedAt: "2026-03-02T09:25:00.000Z",
  relaunches: 0,
};

describe("messageFromRecord", () => {
  it("keeps the original queue time for a lost message: the maximum age counts from GitHub's queueing", () => {
    const message = messageFromRecord(record);
    expect(message).toMatchObject({ jobId: 41, runAttempt: 1, pool: "linux", receivedAt: "2026-03-02T09:25:00.000Z", deliveryId: "delivery-1" });
    expect(parseJobMessage(JSON.stringify(message))).toEqual(message);
  });

  // Found by the fault-injection suite ("draining past the maximum job age"): expired jobs stay queued
  // at GitHub and take the runners launched for newer jobs; each newer job was relaunched with its
  // original time and expired in turn, although it had had a runner in time.
  it("counts a relaunched job's age from the relaunch", () => {
    const message = messageFromRecord(record, new Date("2026-03-02T09:50:00Z"));
    expect(message?.receivedAt).toBe("2026-03-02T09:50:00.000Z");
    expect(relaunchDeduplicationId(record, 1)).toBe("41-1-r1");
  });

  it("fails when the record lacks any fact of a message: undefined", () => {
    for (const missing of ["pool", "repository", "installationId", "runId"] as const) {
      expect(messageFromRecord({ ...record, [missing]: undefined }), missing).toBeUndefined();
    }
  });

  // Records written by the reconciler or the healer may lack what a webhook delivery gives (Stryker survivors).
  it("fills what a record may lack: a reconcile delivery id, the owner from the repository, no labels, time zero", () => {
    const bare: JobRecord = { ...record, org: undefined, deliveryIds: undefined, labels: undefined, receivedAt: undefined };

    const message = messageFromRecord(bare);

    expect(message).toMatchObject({ deliveryId: "reconcile", owner: "octo-org", labels: [], receivedAt: "1970-01-01T00:00:00.000Z" });
    expect(message).not.toHaveProperty("kind");
    expect(parseJobMessage(JSON.stringify(message))).toEqual(message);
  });

  it("keeps the owner the record names and a warm job's kind", () => {
    expect(messageFromRecord({ ...record, org: "octo-user" })?.owner).toBe("octo-user");
    expect(messageFromRecord({ ...record, pk: "warm#41", kind: "warm" })?.kind).toBe("warm");
    expect(messageFromRecord({ ...record, kind: "job" })).not.toHaveProperty("kind");
  });
});
