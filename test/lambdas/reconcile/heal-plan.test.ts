import { describe, expect, it } from "vitest";
import { deliveriesToRedeliver, nextCursor, queuedJobMessages, scanPlan } from "../../../lambdas/reconcile/heal-plan.js";
import type { DeliveryAttempt, ListedJob, ScanPlan } from "../../../lambdas/reconcile/heal-plan.js";

// The healer's pure decisions, one by one (heal.test.ts runs them together, where one guard can hide
// another: scanPlan's floor filters what deliveriesToRedeliver's floor would have dropped).
const NOW = new Date("2026-03-02T12:00:00Z");
const MINUTE = 60_000;
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();
const minutesAgo = (minutes: number) => ago(minutes * MINUTE);
/** GitHub's 3-day redelivery horizon less the healer's 1-hour margin. */
const FLOOR = ago(3 * 24 * 60 * MINUTE - 60 * MINUTE);

function attempt(id: number, guid: string, deliveredAt: string, statusCode: number, extra: Partial<DeliveryAttempt> = {}): DeliveryAttempt {
  return { id, guid, deliveredAt, redelivery: false, statusCode, event: "workflow_job", action: "queued", ...extra };
}

describe("scanPlan", () => {
  it("reads the last hour on the first run", () => {
    expect(scanPlan({}, NOW)).toStrictEqual({ until: minutesAgo(60) });
  });

  it("reads down to the mark, but never past the redelivery horizon less its margin", () => {
    expect(scanPlan({ mark: minutesAgo(30) }, NOW)).toStrictEqual({ until: minutesAgo(30) });
    expect(scanPlan({ mark: minutesAgo(5 * 24 * 60) }, NOW)).toStrictEqual({ until: FLOOR });
  });

  it("resumes a cut-short scan from its cursor, with its newest attempt, its bound raised to the floor", () => {
    // Arrange
    const resume = { cursor: "v1_40", until: minutesAgo(4 * 24 * 60), newest: minutesAgo(10) };

    // Act
    const plan = scanPlan({ mark: minutesAgo(20), resume }, NOW);

    // Assert
    expect(plan).toStrictEqual({ startCursor: "v1_40", until: FLOOR, newest: minutesAgo(10) });
  });
});

describe("nextCursor", () => {
  const plan: ScanPlan = { until: minutesAgo(60) };

  it("keeps the previous cursor whole when the run could not redeliver all it found", () => {
    const previous = { mark: minutesAgo(90), resume: { cursor: "v1_7", until: minutesAgo(90), newest: minutesAgo(70) } };
    expect(nextCursor(previous, plan, { complete: true, newestSeen: minutesAgo(1) }, false)).toBe(previous);
  });

  it("marks a finished scan two minutes before the newest attempt read, or at its bound when that is later", () => {
    expect(nextCursor({ mark: minutesAgo(90) }, plan, { complete: true, newestSeen: minutesAgo(10) }, true)).toStrictEqual({ mark: minutesAgo(12) });
    expect(nextCursor({}, plan, { complete: true, newestSeen: minutesAgo(59) }, true)).toStrictEqual({ mark: minutesAgo(60) });
  });

  it("marks from a resumed scan's newest attempt rather than the newest of its last page", () => {
    const resumed: ScanPlan = { startCursor: "v1_7", until: minutesAgo(60), newest: minutesAgo(20) };
    expect(nextCursor({}, resumed, { complete: true, newestSeen: minutesAgo(40) }, true)).toStrictEqual({ mark: minutesAgo(22) });
  });

  it("after a scan that read nothing, keeps the mark, or sets it at the bound on the first run", () => {
    expect(nextCursor({ mark: minutesAgo(90) }, plan, { complete: true }, true)).toStrictEqual({ mark: minutesAgo(90) });
    expect(nextCursor({}, plan, { complete: true }, true)).toStrictEqual({ mark: minutesAgo(60) });
  });

  it("treats an unfinished scan with no cursor to go on from as done", () => {
    expect(nextCursor({}, plan, { complete: false, newestSeen: minutesAgo(10) }, true)).toStrictEqual({ mark: minutesAgo(12) });
  });

  it("stores where a cut-short scan goes on, keeping the mark it had and no other", () => {
    // Arrange
    const outcome = { complete: false, newestSeen: minutesAgo(5), nextCursor: "v1_9" };
    const resume = { cursor: "v1_9", until: minutesAgo(60), newest: minutesAgo(5) };

    // Act and assert
    expect(nextCursor({ mark: minutesAgo(90) }, plan, outcome, true)).toStrictEqual({ mark: minutesAgo(90), resume });
    expect(nextCursor({}, plan, outcome, true)).toStrictEqual({ resume });
    expect(nextCursor({}, plan, { complete: false, nextCursor: "v1_9" }, true)).toStrictEqual({ resume: { ...resume, newest: minutesAgo(60) } });
  });
});

describe("deliveriesToRedeliver", () => {
  it("counts only a 2xx answer as delivered: no response (0) and a redirect (300) are failures", () => {
    // Arrange
    const attempts = [attempt(1, "g-none", minutesAgo(9), 0), attempt(2, "g-redirect", minutesAgo(8), 300), attempt(3, "g-ok", minutesAgo(7), 200), attempt(4, "g-299", minutesAgo(6), 299)];

    // Act and assert
    expect(deliveriesToRedeliver(attempts, NOW).map((a) => a.id)).toEqual([1, 2]);
  });

  it("counts redeliveries, not attempts, against the limit of 3, and redelivers the newest attempt whatever the listing order", () => {
    // Arrange: the original and two failed redeliveries (listed oldest first); another event redelivered 3 times.
    const attempts = [
      attempt(10, "g-twice", minutesAgo(30), 502),
      attempt(12, "g-twice", minutesAgo(20), 502, { redelivery: true }),
      attempt(11, "g-twice", minutesAgo(25), 502, { redelivery: true }),
      attempt(20, "g-thrice", minutesAgo(30), 502),
      ...[21, 22, 23].map((id) => attempt(id, "g-thrice", minutesAgo(50 - id), 502, { redelivery: true })),
    ];

    // Act and assert
    expect(deliveriesToRedeliver(attempts, NOW).map((a) => a.id)).toEqual([12]);
  });

  it("redelivers up to the horizon less its margin, not within the margin", () => {
    // Arrange
    const attempts = [
      attempt(1, "g-2-days", minutesAgo(2 * 24 * 60), 500),
      attempt(2, "g-at-floor", FLOOR, 500),
      attempt(3, "g-past-floor", new Date(Date.parse(FLOOR) - 1).toISOString(), 500),
      attempt(4, "g-in-margin", minutesAgo(3 * 24 * 60 - 30), 500),
    ];

    // Act and assert
    expect(deliveriesToRedeliver(attempts, NOW).map((a) => a.id)).toEqual([2, 1]);
  });

  it("orders queued first, then oldest first, then by id", () => {
    // Arrange: listed newest first, as GitHub lists them.
    const attempts = [
      attempt(6, "g-queued-new", minutesAgo(1), 500),
      attempt(5, "g-completed-old", minutesAgo(40), 500, { action: "completed" }),
      attempt(4, "g-progress", minutesAgo(20), 500, { action: "in_progress" }),
      attempt(3, "g-queued-old", minutesAgo(30), 500),
      attempt(9, "g-same-b", minutesAgo(10), 500),
      attempt(8, "g-same-a", minutesAgo(10), 500),
    ];

    // Act and assert
    expect(deliveriesToRedeliver(attempts, NOW).map((a) => a.id)).toEqual([3, 8, 9, 6, 5, 4]);
    expect(deliveriesToRedeliver([...attempts].reverse(), NOW).map((a) => a.id)).toEqual([3, 8, 9, 6, 5, 4]);
  });
});

describe("queuedJobMessages", () => {
  const POOLS = { linux: { labels: ["linux", "x64"] } };
  const REPOSITORY = { repository: "octo-org/app", installationId: 7 };
  const job = (id: number, createdAt: string, extra: Partial<ListedJob> = {}): ListedJob => ({ id, runId: 900, runAttempt: 2, status: "queued", labels: ["Linux", "x64"], createdAt, ...extra });

  it("shapes a queued job as the webhook would, with a delivery id of its own per attempt", () => {
    // Arrange
    const listed = job(1001, minutesAgo(10));

    // Act
    const messages = queuedJobMessages([listed], REPOSITORY, POOLS, NOW);

    // Assert
    expect(messages).toStrictEqual([
      {
        version: 1,
        deliveryId: "healer-1001-2",
        pool: "linux",
        jobId: 1001,
        runId: 900,
        runAttempt: 2,
        repository: "octo-org/app",
        owner: "octo-org",
        installationId: 7,
        labels: ["Linux", "x64"],
        receivedAt: NOW.toISOString(),
      },
    ]);
    expect(messages[0]?.labels).not.toBe(listed.labels);
  });

  it("waits two minutes for a queued job's own delivery, and skips jobs no pool serves or not queued", () => {
    // Arrange
    const jobs = [
      job(1, ago(2 * MINUTE)),
      job(2, ago(2 * MINUTE - 1)),
      job(3, minutesAgo(1)),
      job(4, minutesAgo(10), { labels: ["windows"] }),
      job(5, minutesAgo(10), { status: "in_progress" }),
    ];

    // Act and assert
    expect(queuedJobMessages(jobs, REPOSITORY, POOLS, NOW).map((message) => message.jobId)).toEqual([1]);
  });
});
