import { describe, expect, it, vi } from "vitest";
import { batchWaits, sendBack, visibilityPlan } from "../../../lambdas/scale-up/deferrals.js";
import type { RecordWait, WaitingRecord } from "../../../lambdas/scale-up/deferrals.js";
import type { DeferredMessage, JobQueueControl } from "../../../lambdas/scale-up/adapters/sqs.js";
import type { Claimed } from "../../../lambdas/scale-up/claims.js";
import { jobMessage } from "../../helpers/aws.js";
import { captureLogLines, quietPowertools } from "../../helpers/powertools.js";

quietPowertools();

// The records of a batch that wait: their claims and their visibility. processBatch's use of it (which
// record waits for what) is in scale-up.test.ts.

const NOW = new Date("2026-11-23T10:00:00.000Z");
const BACKOFF = { baseSeconds: 10, maxSeconds: 300 };
const LINUX = "https://sqs.eu-west-1.amazonaws.com/123456789012/sr-linux.fifo";
const GPU = "https://sqs.eu-west-1.amazonaws.com/123456789012/sr-gpu.fifo";

const claimed = (recordId: string, instanceId?: string): Claimed => ({
  recordId,
  job: jobMessage(),
  key: `job#${recordId}`,
  token: `token-${recordId}`,
  owner: "octo-org",
  ...(instanceId === undefined ? {} : { instanceId }),
});

describe("batchWaits: the claims of records that wait", () => {
  it("releases the claim of a job that waits, and of a failed launch even with its instance", async () => {
    // Arrange
    const ledger = { release: vi.fn(async () => true) };
    const batch = batchWaits(ledger, NOW, 120);

    // Act
    await batch.giveBack(claimed("r1"), "limit", "limit of pool linux reached");
    await batch.giveBack(claimed("r2", "i-0aaaaaaaaaaaaaaa2"), "launch-failed", "JIT config failed");

    // Assert
    expect(ledger.release.mock.calls).toEqual([
      ["job#r1", "token-r1", "limit of pool linux reached", NOW],
      ["job#r2", "token-r2", "JIT config failed", NOW],
    ]);
    expect([...batch.waits]).toStrictEqual([
      ["r1", { kind: "limit", reason: "limit of pool linux reached" }],
      ["r2", { kind: "launch-failed", reason: "JIT config failed" }],
    ]);
  });

  it("keeps the claim of a job that waits for a limit with the instance an earlier attempt kept", async () => {
    const ledger = { release: vi.fn(async () => true) };
    const batch = batchWaits(ledger, NOW, 120);

    await batch.giveBack(claimed("r1", "i-0aaaaaaaaaaaaaaa1"), "limit", "limit of pool linux reached");

    expect(ledger.release).not.toHaveBeenCalled();
    expect(batch.waits.get("r1")).toEqual({ kind: "limit", reason: "limit of pool linux reached" });
  });

  it("still lets the record wait when the release fails (the lease runs out instead), and says so", async () => {
    const lines = captureLogLines();
    const batch = batchWaits({ release: async () => Promise.reject(new Error("throttled")) }, NOW, 120);
    const job = claimed("r1");

    await expect(batch.giveBack(job, "in-flight", "another invocation is launching this job")).resolves.toBeUndefined();

    expect(batch.waits.get("r1")?.kind).toBe("in-flight");
    expect(lines().find((line) => line.message === "releasing claim failed")).toMatchObject({ level: "WARN", jobId: job.job.jobId, error: { message: "throttled" } });
  });

  it("sends a kept claim's message back for one second past its lease, with no release", () => {
    const ledger = { release: vi.fn(async () => true) };
    const batch = batchWaits(ledger, NOW, 120);

    batch.keep(claimed("r1", "i-0aaaaaaaaaaaaaaa1"), "no time left for the JIT call");

    expect(batch.waits.get("r1")).toStrictEqual({ kind: "out-of-time", reason: "no time left for the JIT call", resetInSeconds: 121 });
    expect(ledger.release).not.toHaveBeenCalled();
  });

  it("keeps the last decision for a record", () => {
    const batch = batchWaits({ release: async () => true }, NOW, 120);

    batch.wait("r1", "budget", "GitHub API budget is low", 600);
    batch.wait("r1", "write-rate", "GitHub write rate: waiting for its turn", 4, NOW.getTime() + 4_000);

    expect([...batch.waits]).toStrictEqual([["r1", { kind: "write-rate", reason: "GitHub write rate: waiting for its turn", resetInSeconds: 4, until: NOW.getTime() + 4_000 }]]);
  });
});

describe("visibilityPlan: how long each waiting record sleeps", () => {
  const record = (receiptHandle: string, queueUrl: string | undefined, receiveCount = 1): WaitingRecord => ({ receiptHandle, receiveCount, ...(queueUrl === undefined ? {} : { queueUrl }) });

  it("groups the records by queue, each with its back-off by kind and receive count", () => {
    const waits = new Map<string, RecordWait>([
      ["r1", { kind: "limit", reason: "limit" }],
      ["r2", { kind: "launch-failed", reason: "failed" }],
      ["r3", { kind: "limit", reason: "limit" }],
    ]);
    const records = new Map([
      ["r1", record("h1", LINUX, 1)],
      ["r2", record("h2", GPU, 3)],
      ["r3", record("h3", LINUX, 2)],
    ]);

    const plan = visibilityPlan(waits, records, NOW.getTime(), BACKOFF, () => 0.999999);

    expect([...plan.byQueue]).toEqual([
      [LINUX, [{ recordId: "r1", receiptHandle: "h1", seconds: 10 }, { recordId: "r3", receiptHandle: "h3", seconds: 20 }]],
      [GPU, [{ recordId: "r2", receiptHandle: "h2", seconds: 40 }]],
    ]);
    expect(plan.counts).toEqual({ limit: 2, "launch-failed": 1 });
  });

  it("keeps a write turn's end, not its length: the time the invocation ran since is taken off", () => {
    const turnAt = NOW.getTime() + 30_000;
    const waits = new Map<string, RecordWait>([["r1", { kind: "write-rate", reason: "turn", resetInSeconds: 30, until: turnAt }]]);

    const plan = visibilityPlan(waits, new Map([["r1", record("h1", LINUX)]]), NOW.getTime() + 12_000, BACKOFF, () => 0.5);

    expect(plan.byQueue.get(LINUX)).toEqual([{ recordId: "r1", receiptHandle: "h1", seconds: 18 }]);
  });

  it("waits at least for a low budget's reset, and a kept claim's lease exactly", () => {
    const waits = new Map<string, RecordWait>([
      ["r1", { kind: "budget", reason: "budget", resetInSeconds: 250 }],
      ["r2", { kind: "out-of-time", reason: "no time", resetInSeconds: 121 }],
    ]);
    const records = new Map([["r1", record("h1", LINUX)], ["r2", record("h2", LINUX, 5)]]);

    const plan = visibilityPlan(waits, records, NOW.getTime(), BACKOFF, () => 0);

    expect(plan.byQueue.get(LINUX)?.map((m) => m.seconds)).toEqual([250, 121]);
  });

  it("counts a record no pool reads but changes no visibility for it (the queue default applies)", () => {
    const random = vi.fn(() => 0.5);
    const waits = new Map<string, RecordWait>([["r1", { kind: "launch-failed", reason: "dead-letter failed" }], ["r2", { kind: "limit", reason: "limit" }]]);

    const plan = visibilityPlan(waits, new Map([["r1", record("h1", undefined)], ["r2", record("h2", LINUX)]]), NOW.getTime(), BACKOFF, random);

    expect([...plan.byQueue.keys()]).toEqual([LINUX]);
    expect(plan.counts).toEqual({ "launch-failed": 1, limit: 1 });
    expect(random).toHaveBeenCalledTimes(2);
  });
});

describe("sendBack: one visibility change per queue", () => {
  const queue = (defer: JobQueueControl["defer"]): JobQueueControl => ({ defer, deadLetter: async () => undefined, requeue: async () => undefined });

  it("sends each queue's records in one call, and survives a queue that fails or refuses, saying which", async () => {
    const lines = captureLogLines();
    const defer = vi.fn(async (queueUrl: string, _messages: readonly DeferredMessage[]) => (queueUrl === GPU ? Promise.reject(new Error("SQS down")) : ["h3"]));
    const plan = visibilityPlan(
      new Map<string, RecordWait>([["r1", { kind: "limit", reason: "limit" }], ["r2", { kind: "limit", reason: "limit" }], ["r3", { kind: "limit", reason: "limit" }]]),
      new Map([["r1", { receiptHandle: "h1", receiveCount: 1, queueUrl: LINUX }], ["r2", { receiptHandle: "h2", receiveCount: 1, queueUrl: GPU }], ["r3", { receiptHandle: "h3", receiveCount: 1, queueUrl: LINUX }]]),
      NOW.getTime(),
      BACKOFF,
      () => 0,
    );

    await expect(sendBack(queue(defer), plan)).resolves.toBeUndefined();

    expect(defer.mock.calls.map(([url, messages]) => [url, messages.map((m) => m.receiptHandle)])).toEqual([[LINUX, ["h1", "h3"]], [GPU, ["h2"]]]);
    const warnings = lines().filter((line) => line.level === "WARN");
    expect(warnings).toHaveLength(2);
    expect(warnings.find((line) => line.message === "setting visibility refused; the queue default applies")).toMatchObject({ refused: 1 });
    expect(warnings.find((line) => line.message === "setting visibility failed; the queue default applies")).toMatchObject({ records: ["r2"], error: { message: "SQS down" } });
  });

  it("says nothing when every visibility change is accepted", async () => {
    const lines = captureLogLines();
    const plan = visibilityPlan(new Map<string, RecordWait>([["r1", { kind: "limit", reason: "limit" }]]), new Map([["r1", { receiptHandle: "h1", receiveCount: 1, queueUrl: LINUX }]]), NOW.getTime(), BACKOFF, () => 0);

    await sendBack(queue(async () => []), plan);

    expect(lines().filter((line) => line.level === "WARN")).toEqual([]);
  });
});
