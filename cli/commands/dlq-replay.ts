import { jobKey } from "../../lambdas/libs/ledger/phases.js";
import type { Phase } from "../../lambdas/libs/ledger/phases.js";
import type { JobRecord } from "../../lambdas/libs/ledger/types.js";
import { DELIVERY_ID_ATTRIBUTE, jobDeduplicationId, jobGroupId, parseJobMessage } from "../../lambdas/shared/job-message.js";
import type { JobMessage } from "../../lambdas/shared/job-message.js";
import { ledgerReader } from "../adapters/ledger.js";
import { deleteMessage, poolQueues, receiveAll, sendMessage, showAgain } from "../adapters/queues.js";
import type { DeadLetter } from "../adapters/queues.js";
import type { AwsClients } from "../clients.js";
import type { Deployment } from "../deployment.js";
import { CliError } from "../errors.js";
import { json, table } from "../format.js";

/** How long a pass hides the messages it received (it makes the refused ones visible again when done). */
export const REPLAY_HIDE_SECONDS = 120;

/** What to do with one dead-lettered message. */
export type ReplayDecision =
  | { readonly action: "replay"; readonly job: JobMessage; readonly phase: Phase | undefined; readonly message: ReplayMessage }
  | { readonly action: "refuse"; readonly job: JobMessage | undefined; readonly phase: Phase | undefined; readonly reason: string };

export interface ReplayMessage {
  readonly body: string;
  readonly groupId: string;
  readonly deduplicationId: string;
  readonly attributes: Readonly<Record<string, string>>;
}

/**
 * A replay's deduplication id. The webhook's `<jobId>-<runAttempt>` would be dropped by the FIFO
 * queue's five-minute deduplication window when the job was queued or replayed shortly before (SQS
 * answers success and delivers nothing), so each replay run gets its own id; two dead letters of one
 * job in the same run still enqueue one message.
 */
export function replayDeduplicationId(job: Pick<JobMessage, "jobId" | "runAttempt">, now: Date): string {
  return `${jobDeduplicationId(job)}-replay-${now.getTime()}`;
}

/**
 * Replays a dead-lettered job when scale-up's claim will take it: no ledger item, `received` (given
 * back, or redriven after too many receives) or `launching` (a claim whose lease runs out). Refuses
 * jobs the ledger shows as done (`completed`, `cancelled`, `failed`: scale-up expired it or GitHub
 * failed it), jobs a runner was launched for (`launched`, `running`: a claim would settle the message
 * as a duplicate), messages of another pool and unreadable bodies.
 *
 * The replayed message counts its age from the replay (`receivedAt` = now), as the reconciler's
 * relaunch does: it was dead-lettered after waiting, often past JOB_MAX_AGE_SECONDS, and scale-up
 * would expire it again at once.
 */
export function decideReplay(letter: DeadLetter, pool: string, record: JobRecord | undefined, now: Date): ReplayDecision {
  let job: JobMessage;
  try {
    job = parseJobMessage(letter.body);
  } catch (error) {
    return { action: "refuse", job: undefined, phase: undefined, reason: `unreadable: ${(error as Error).message}` };
  }
  const phase = record?.phase;
  if (job.pool !== pool) return { action: "refuse", job, phase, reason: `the message is for pool ${job.pool}` };
  switch (phase) {
    case "completed":
    case "cancelled":
    case "failed": {
      const why = record?.failureReason ?? record?.conclusion;
      return { action: "refuse", job, phase, reason: `the ledger shows it done (${phase}${why === undefined ? "" : `: ${why}`})` };
    }
    case "launched":
    case "running":
      return { action: "refuse", job, phase, reason: `a runner was launched for it (ledger: ${phase})` };
    default:
      break;
  }
  // The correlation attribute the webhook sets, from the body (scale-up's copies to the DLQ drop it).
  const attributes = { [DELIVERY_ID_ATTRIBUTE]: job.deliveryId };
  return {
    action: "replay",
    job,
    phase,
    message: { body: JSON.stringify({ ...job, receivedAt: now.toISOString() }), groupId: jobGroupId(job), deduplicationId: replayDeduplicationId(job, now), attributes },
  };
}

export interface ReplayLine {
  readonly messageId: string;
  readonly jobId: number | null;
  readonly runAttempt: number | null;
  readonly phase: Phase | null;
  readonly action: "replayed" | "would-replay" | "refused";
  readonly reason: string;
  /** Why scale-up dead-lettered it (its `Reason` attribute), when it did; the redrive policy sets none. */
  readonly deadLetterReason: string | null;
}

export interface ReplayResult {
  readonly pool: string;
  readonly dryRun: boolean;
  readonly lines: readonly ReplayLine[];
}

/**
 * Moves `pool`'s dead letters back to its queue: send first, then delete from the dead-letter queue
 * (a crash between leaves a copy; replaying it again is settled by the ledger's claim as a duplicate).
 * Refused messages, and all of them in a dry run, are made visible again where they are.
 */
export async function replayDeadLetters(clients: AwsClients, deployment: Deployment, pool: string, dryRun: boolean, now: Date): Promise<ReplayResult> {
  const queues = await poolQueues(clients.sqs, deployment);
  const target = queues.find((q) => q.pool === pool);
  if (target === undefined) throw new CliError(`no pool ${pool}; the deployment's pools are ${queues.map((q) => q.pool).join(", ")}`);
  const read = ledgerReader(clients.dynamoDb, deployment.jobsTable);
  const letters = await receiveAll(clients.sqs, target.deadLetterQueueUrl, REPLAY_HIDE_SECONDS);
  const lines: ReplayLine[] = [];
  for (const letter of letters) {
    const peek = safeParse(letter.body);
    const decision = decideReplay(letter, pool, peek === undefined ? undefined : await read(jobKey(peek)), now);
    const base = {
      messageId: letter.messageId,
      jobId: decision.job?.jobId ?? null,
      runAttempt: decision.job?.runAttempt ?? null,
      phase: decision.phase ?? null,
      deadLetterReason: letter.attributes.Reason ?? null,
    };
    if (decision.action === "refuse") {
      await showAgain(clients.sqs, target.deadLetterQueueUrl, letter.receiptHandle);
      lines.push({ ...base, action: "refused", reason: decision.reason });
    } else if (dryRun) {
      await showAgain(clients.sqs, target.deadLetterQueueUrl, letter.receiptHandle);
      lines.push({ ...base, action: "would-replay", reason: phaseText(decision.phase) });
    } else {
      await sendMessage(clients.sqs, target.queueUrl, decision.message);
      await deleteMessage(clients.sqs, target.deadLetterQueueUrl, letter.receiptHandle);
      lines.push({ ...base, action: "replayed", reason: phaseText(decision.phase) });
    }
  }
  return { pool, dryRun, lines };
}

function safeParse(body: string): JobMessage | undefined {
  try {
    return parseJobMessage(body);
  } catch {
    return undefined;
  }
}

function phaseText(phase: Phase | undefined): string {
  return phase === undefined ? "no ledger item: scale-up claims it" : `ledger: ${phase}, scale-up claims it`;
}

export function formatReplay(result: ReplayResult, asJson: boolean): string {
  if (asJson) return json(result);
  if (result.lines.length === 0) return `the dead-letter queue of ${result.pool} is empty`;
  const rows = table(
    [{ header: "MESSAGE" }, { header: "JOB", align: "right" }, { header: "ATTEMPT", align: "right" }, { header: "ACTION" }, { header: "REASON" }],
    result.lines.map((l) => [l.messageId, l.jobId === null ? "-" : String(l.jobId), l.runAttempt === null ? "-" : String(l.runAttempt), l.action, l.reason]),
  );
  const count = (action: ReplayLine["action"]) => result.lines.filter((l) => l.action === action).length;
  const refused = count("refused");
  const summary = result.dryRun
    ? `dry run: would replay ${count("would-replay")}, would refuse ${refused}; nothing was moved`
    : `replayed ${count("replayed")} to the ${result.pool} queue, refused ${refused} (left in its dead-letter queue)`;
  return [rows, "", summary].join("\n");
}
