import { memoryBudgetStore, memoryLimitCounters } from "../../lambdas/libs/ledger/memory-counters.js";
import { MemoryLedgerTable, memoryLedger } from "../../lambdas/libs/ledger/memory-store.js";
import type { RunnerItem } from "../../lambdas/scale-up/adapters/runners-table.js";
import { scaleUpConfigFromEnv } from "../../lambdas/scale-up/config.js";
import { JIT_CONTEXT_KEY, jitSealer } from "../../lambdas/scale-up/jit-seal.js";
import type { IncomingRecord, ScaleUpDeps } from "../../lambdas/scale-up/scale-up.js";
import { GitHubRequestError } from "../../lambdas/shared/index.js";
import type { JobMessage, WorkflowJobState } from "../../lambdas/shared/index.js";
import { jobMessage } from "./aws.js";
import { MemoryKms } from "./memory-kms.js";
import { scaleUpEnvFixture, scaleUpQueueArn } from "./scale-up-env.js";

// Scale-up's processBatch with memory ports (test/lambdas/scale-up): the memory ledger, counters and
// budgets, an EC2 fleet, a GitHub registrar, a runners table and a queue that record what they are
// asked, and a fake clock.

export const NOW = new Date("2026-11-23T10:00:00.000Z");
export const QUEUE_ARN = scaleUpQueueArn("linux");
export const CONFIG = scaleUpConfigFromEnv(scaleUpEnvFixture());

/** The ports in memory and what they were asked. */
export interface World {
  readonly deps: ScaleUpDeps;
  readonly table: MemoryLedgerTable;
  readonly launched: string[];
  readonly terminated: string[];
  readonly registered: string[];
  readonly runnerItems: RunnerItem[];
  readonly deferred: Map<string, number>;
  /** Visibility calls made (each takes up to 10 records). */
  deferCalls: number;
  /** Waits inside the invocation (ms), e.g. a JIT POST for its write turn. */
  readonly slept: number[];
  readonly deadLettered: Array<{ id: string; reason: string }>;
  draining: boolean;
  /** Instance ids whose JIT registration fails. */
  readonly failRegistration: Set<string>;
  /** The kit's key in memory: runner items hold what it sealed. */
  readonly kms: MemoryKms;
  /** Instance ids whose configuration KMS refuses to seal. */
  readonly failSeal: Set<string>;
  /** GitHub's view of a job by id (absent: queued); "404" or "error" make the lookup fail. */
  readonly jobStates: Map<number, WorkflowJobState | "404" | "error">;
  /** Job ids the still-queued check asked GitHub about. */
  readonly lookedUp: number[];
}

/** The JIT configuration the registrar returns for an instance (base64, as GitHub's is). */
export const jitOf = (instanceId: string) => Buffer.from(`jit-${instanceId}`).toString("base64");

export function world(): World {
  const table = new MemoryLedgerTable();
  let instances = 0;
  let tokens = 0;
  const w: World = {
    table,
    launched: [],
    terminated: [],
    registered: [],
    runnerItems: [],
    deferred: new Map(),
    deferCalls: 0,
    slept: [],
    deadLettered: [],
    draining: false,
    failRegistration: new Set(),
    kms: new MemoryKms(),
    failSeal: new Set(),
    jobStates: new Map(),
    lookedUp: [],
    deps: undefined as unknown as ScaleUpDeps,
  };
  (w as { deps: ScaleUpDeps }).deps = {
    config: CONFIG,
    ledger: memoryLedger(table),
    counters: memoryLimitCounters(table),
    budgets: memoryBudgetStore(table),
    observedBudgets: () => [],
    fleet: {
      launch: async (request) => {
        const ids = Array.from({ length: request.fleet.count }, () => `i-0${(instances += 1).toString(16).padStart(16, "0")}`);
        w.launched.push(...ids);
        return { instanceIds: ids, errors: [] };
      },
      terminate: async (ids) => {
        w.terminated.push(...ids);
      },
    },
    registerRunner: async (request) => {
      if (w.failRegistration.has(request.instanceId)) throw new Error("GitHub 502");
      w.registered.push(request.instanceId);
      return { runnerId: 1000 + w.registered.length, encodedJitConfig: jitOf(request.instanceId) };
    },
    sealJitConfig: jitSealer(async (plaintext, context) => {
      if (w.failSeal.has(String(context[JIT_CONTEXT_KEY]).split("/").pop() ?? "")) throw new Error("KMS throttled");
      return w.kms.encrypt(plaintext, context);
    }),
    writeRunners: async (items) => {
      w.runnerItems.push(...items);
      return [];
    },
    runnerItemExists: async (pk) => w.runnerItems.some((item) => item.pk === pk),
    queue: {
      defer: async (_url, messages) => {
        w.deferCalls += 1;
        for (const { receiptHandle, seconds } of messages) w.deferred.set(receiptHandle, seconds);
        return [];
      },
      deadLetter: async (_url, message, reason) => {
        w.deadLettered.push({ id: message.id, reason });
      },
      requeue: async () => undefined,
    },
    lookupWorkflowJob: async (j) => {
      w.lookedUp.push(j.jobId);
      const state = w.jobStates.get(j.jobId) ?? { status: "queued", conclusion: null, runnerName: null };
      if (state === "404") throw new GitHubRequestError(`get job ${j.jobId}`, 404);
      if (state === "error") throw new GitHubRequestError(`get job ${j.jobId}`, 502);
      return state;
    },
    isDraining: async () => w.draining,
    instanceArnPrefix: "arn:aws:ec2:eu-west-1:123456789012:instance/",
    now: () => NOW,
    sleep: async (ms) => {
      w.slept.push(ms);
    },
    random: () => 0.5,
    newToken: () => `token-${(tokens += 1)}`,
    appCursor: () => 0,
  };
  return w;
}

export function record(job: JobMessage, receiveCount = 1): IncomingRecord {
  return { id: `msg-${job.jobId}`, body: JSON.stringify(job), receiptHandle: `rh-${job.jobId}`, receiveCount, queueArn: QUEUE_ARN };
}

export function job(overrides: Partial<JobMessage> = {}): JobMessage {
  return jobMessage({ receivedAt: NOW.toISOString(), labels: ["self-hosted", "linux", "x64"], ...overrides });
}

export const inUse = (w: World, key: string) => Number(w.table.items.get(key)?.inUse ?? 0);
