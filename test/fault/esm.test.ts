import { describe, expect, it } from "vitest";
import { settleBatch } from "./world/esm.js";
import type { QueueMessage } from "./world/sqs.js";

// The world's event source mapping (world/esm.ts) settles a batch by Lambda's documented rules.
const message = (messageId: string, groupId: string, visibleAt = 1_000_000): QueueMessage => ({
  messageId,
  body: "{}",
  groupId,
  deduplicationId: messageId,
  attributes: {},
  sentAt: 0,
  sequenceNumber: "1",
  visibleAt,
  receiveCount: 1,
  firstReceivedAt: 0,
  receiptHandle: `rh-${messageId}`,
});
const ids = (messages: readonly QueueMessage[]) => messages.map((m) => m.messageId);

describe("settleBatch", () => {
  const batch = [message("a", "g1"), message("b", "g1"), message("c", "g2")];

  it("deletes every message when nothing failed (empty, null or missing batchItemFailures)", () => {
    expect(ids(settleBatch(batch, { batchItemFailures: [] }, 0).deleted)).toEqual(["a", "b", "c"]);
    expect(ids(settleBatch(batch, undefined, 0).deleted)).toEqual(["a", "b", "c"]);
  });

  it("fails the whole batch when an itemIdentifier is empty or not in the batch", () => {
    for (const itemIdentifier of ["", "zzz"]) {
      const settled = settleBatch(batch, { batchItemFailures: [{ itemIdentifier }] }, 0);
      expect(settled.invalidResponse).toBe(true);
      expect(settled.deleted).toEqual([]);
    }
  });

  it("stops a FIFO group at its first failure: later messages of the group return too, other groups settle", () => {
    const settled = settleBatch(batch, { batchItemFailures: [{ itemIdentifier: "a" }] }, 0);
    expect(ids(settled.deleted)).toEqual(["c"]);
    expect(settled.heldBackInGroup).toBe(1);
  });

  it("deletes nothing whose visibility ran out before the invocation ended (stale receipt handle)", () => {
    const settled = settleBatch([message("a", "g1", 10_000), message("c", "g2", 50_000)], { batchItemFailures: [] }, 20_000);
    expect(ids(settled.deleted)).toEqual(["c"]);
    expect(settled.staleDeletes).toBe(1);
  });
});
