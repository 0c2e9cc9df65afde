import type { SQSBatchResponse } from "aws-lambda";
import type { QueueMessage } from "./sqs.js";

/**
 * How Lambda's SQS event source mapping settles a batch once the function returned, with
 * ReportBatchItemFailures on (AWS Lambda Developer Guide, "Handling errors for an SQS event source in
 * Lambda", https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html, "Implementing
 * partial batch responses" and "Success and failure conditions"):
 * - no `batchItemFailures` (null, empty list, empty response): every message succeeded;
 * - an `itemIdentifier` that is empty, not a string, or not the id of a message in the batch: the whole
 *   batch failed, nothing is deleted;
 * - FIFO queues: processing stops at the first failure within a message group, every later message of
 *   that group returns with it even if the function called it a success (the guide asks the function
 *   to do so; Powertools' SqsFifoPartialProcessor short-circuits the same way);
 * - a message whose visibility timeout ran out before the invocation ended may already be held by
 *   another environment: the late delete uses a stale receipt handle and deletes nothing.
 */

export interface Settlement {
  /** Messages the mapping deletes. */
  readonly deleted: readonly QueueMessage[];
  /** The answer named a message that is not in the batch: the whole batch returns. */
  readonly invalidResponse: boolean;
  /** Messages reported done but held back behind an earlier failure of their group. */
  readonly heldBackInGroup: number;
  /** Deletes that came after the message's visibility ran out. */
  readonly staleDeletes: number;
}

export function settleBatch(messages: readonly QueueMessage[], response: SQSBatchResponse | null | undefined, invocationEndsAt: number): Settlement {
  const failures = response?.batchItemFailures ?? [];
  const ids = new Set(messages.map((message) => message.messageId));
  const invalid = failures.some((failure) => typeof failure?.itemIdentifier !== "string" || failure.itemIdentifier === "" || !ids.has(failure.itemIdentifier));
  if (invalid) return { deleted: [], invalidResponse: true, heldBackInGroup: 0, staleDeletes: 0 };
  const failed = new Set(failures.map((failure) => failure.itemIdentifier));
  const stoppedGroups = new Set<string>();
  const deleted: QueueMessage[] = [];
  let heldBackInGroup = 0;
  let staleDeletes = 0;
  for (const message of messages) {
    if (failed.has(message.messageId)) {
      stoppedGroups.add(message.groupId);
      continue;
    }
    if (stoppedGroups.has(message.groupId)) {
      heldBackInGroup += 1;
      continue;
    }
    if (message.visibleAt <= invocationEndsAt) {
      staleDeletes += 1;
      continue;
    }
    deleted.push(message);
  }
  return { deleted, invalidResponse: false, heldBackInGroup, staleDeletes };
}
