// Hot paths of the pure cores, in µs per operation (tests assert behaviour, never speed).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { sign } from "@octokit/webhooks-methods";
import { handleWebhook, type WebhookDeps } from "../lambdas/webhook/webhook.js";
import { groupLaunches, triage, type ParsedRecord } from "../lambdas/scale-up/plan.js";
import { decide, type InstanceView, type RegistrationView } from "../lambdas/reconcile/decide.js";
import { runnerName } from "../lambdas/shared/index.js";
import { decideJobs, type JobView, type LiveRunner } from "../lambdas/reconcile/jobs.js";
import { firstFleetRequest, nextFleetRequest } from "../lambdas/scale-up/fleet-plan.js";
import { REPO_ROOT } from "../test/helpers/paths.js";
import type { BenchGroup, Figure } from "./figures.js";

/** Runs `fn` `iterations` times after a warm-up; the mean µs per operation. */
async function measure(id: string, label: string, iterations: number, fn: (i: number) => unknown | Promise<unknown>): Promise<Figure> {
  for (let i = 0; i < Math.min(100, iterations); i++) await fn(i);
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await fn(i);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { id: `hot-path.${id}.us`, label, value: Math.round((seconds / iterations) * 1e7) / 10, unit: "µs/op", note: `${Math.round(iterations / seconds).toLocaleString("en-US")} op/s` };
}

export const hotPaths: BenchGroup = {
  name: "hot paths (pure cores)",
  async run() {
    const figures: Figure[] = [];
    const secret = "bench-secret";
    const payload = readFileSync(join(REPO_ROOT, "test", "fixtures", "github", "workflow_job.queued.json"), "utf8");
    const { labels, created_at: createdAt } = (JSON.parse(payload) as { workflow_job: { labels: string[]; created_at: string } }).workflow_job;
    const signature = await sign(secret, payload);
    const pools = Object.fromEntries(
      Array.from({ length: 20 }, (_, i) => [`pool-${String(i).padStart(2, "0")}`, { labels: [`l${i}`, "linux"], allowPublicRepositories: false, queueUrl: `https://q/${i}` }]),
    );
    pools["pool-99"] = { labels, allowPublicRepositories: false, queueUrl: "https://q/99" };
    let enqueued = 0;
    const deps: WebhookDeps = {
      pools,
      maxBodyBytes: 262_144,
      admission: { allowedOwners: ["octo-org"], allowedRepositories: [] },
      maxJobAgeSeconds: 3600,
      secrets: async () => ({ current: secret }),
      enqueue: async () => {
        enqueued += 1;
      },
      // The ledger is a DynamoDB round trip in production; the core is measured alone.
      jobs: {
        sighted: async () => ({ leased: true, phase: "received" as const, queuedBy: "d" }),
        releaseQueueing: async () => undefined,
        progressed: async () => ({ phase: "unchanged" as const, redelivery: false }),
      },
      // Shortly after the fixture's job was created: the delivery is fresh, so the enqueue path is measured.
      now: () => new Date(Date.parse(createdAt) + 10_000),
    };
    const request = { body: payload, isBase64Encoded: false, headers: { "x-hub-signature-256": signature, "x-github-event": "workflow_job", "x-github-delivery": "d" } };
    const forged = { ...request, headers: { ...request.headers, "x-hub-signature-256": `sha256=${"0".repeat(64)}` } };

    figures.push(await measure("webhook-core", "webhook core: verify HMAC + parse + route + enqueue", 5_000, () => handleWebhook(request, deps)));
    figures.push(await measure("webhook-forged", "webhook core: forged signature refused", 5_000, () => handleWebhook(forged, deps).catch(() => undefined)));

    const now = new Date("2026-11-23T12:00:00Z");
    const records: ParsedRecord[] = Array.from({ length: 1_000 }, (_, i) => ({
      recordId: `r${i}`,
      receiveCount: 1,
      job: {
        version: 1,
        deliveryId: `d${i}`,
        pool: `pool-${String(i % 20).padStart(2, "0")}`,
        jobId: i,
        runId: i,
        runAttempt: 1,
        repository: `org/repo-${i % 50}`,
        owner: "org",
        installationId: 1,
        labels: ["linux"],
        receivedAt: now.toISOString(),
      },
    }));
    const planPools = Object.fromEntries(Object.keys(pools).map((k) => [k, { maxRunners: 40, allowPublicRepositories: false }]));
    figures.push(await measure("scale-up-plan-1000", "scale-up plan: triage + group 1,000 jobs over 20 pools and 50 repos", 200, () =>
      groupLaunches(triage({ records, pools: planPools, draining: false, now, maxJobAgeSeconds: 21_600, admission: { allowedOwners: [], allowedRepositories: [] } }).candidates, "repo"),
    ));

    const instances: InstanceView[] = Array.from({ length: 5_000 }, (_, i) => ({
      instanceId: `i-${i.toString(16).padStart(17, "0")}`,
      state: "running",
      launchTime: new Date(now.getTime() - (i % 120) * 60_000),
      pool: "pool-00",
      owner: "org",
      installationId: 1,
    }));
    const registrations = new Map<string, RegistrationView[]>([
      ["org", instances.filter((_, i) => i % 3 !== 0).map((inst, i) => ({ id: i, name: runnerName("sr", inst.instanceId), status: "online", busy: i % 2 === 0 }))],
    ]);
    figures.push(await measure("reconcile-decide-5000", "reconcile decide: 5,000 instances, 3,333 registrations", 50, () =>
      decide({ instances, registrations, records: [], now, bootTimeoutSeconds: 600, idleTimeoutSeconds: 1800, prefix: "sr" }),
    ));
    const jobViews: JobView[] = instances.map((instance, i) => ({
      key: `job#${i}#1`,
      warm: false,
      phase: i % 4 === 0 ? "running" : "launched",
      jobId: i,
      repository: `org/repo-${i % 50}`,
      installationId: 1,
      pool: "pool-00",
      scopeOwner: "org",
      instanceId: i % 10 === 0 ? `i-gone-${i}` : instance.instanceId,
      runnerName: runnerName("sr", instance.instanceId),
      slotHeld: true,
      claimExpiresAt: undefined,
      launchedAt: new Date(now.getTime() - (i % 60) * 60_000),
      updatedAt: now,
      ranOn: undefined,
      interrupted: false,
      rerunRequested: false,
    }));
    const liveRunners: LiveRunner[] = instances.map((instance, i) => ({
      instanceId: instance.instanceId,
      pool: "pool-00",
      owner: "org",
      runnerName: runnerName("sr", instance.instanceId),
      busy: i % 2 === 0,
      stopped: false,
    }));
    figures.push(await measure("reconcile-jobs-5000", "reconcile jobs: 5,000 ledger jobs against 5,000 runners", 50, () =>
      decideJobs({
        jobs: jobViews,
        runners: liveRunners,
        counters: new Map([["limit#global", 5_000]]),
        now,
        relaunchGraceSeconds: 300,
        requeueAfterSeconds: 1_800,
        instanceListingLagSeconds: 120,
        draining: false,
        rerunInterrupted: true,
        maxJobChecks: 50,
      }),
    ));
    const fleetPool = { instanceTypes: ["m7i.large", "m6i.large", "m5.large", "c7i.large"], subnetIds: ["subnet-a", "subnet-b", "subnet-c"], spot: true, onDemandFallback: true };
    figures.push(await measure("fleet-fallback", "fleet fallback: next request after 6 capacity errors over 12 pairs", 5_000, () =>
      nextFleetRequest(
        fleetPool,
        firstFleetRequest(fleetPool, 10),
        Array.from({ length: 6 }, (_, i) => ({ code: "InsufficientInstanceCapacity", message: "", capacityType: "spot" as const, override: { instanceType: fleetPool.instanceTypes[i % 4], subnetId: fleetPool.subnetIds[i % 3] } })),
        4,
        1,
        3,
      ),
    ));
    if (enqueued === 0) throw new Error("the webhook core enqueued nothing: the figures measured a refusal");
    return figures;
  },
};
