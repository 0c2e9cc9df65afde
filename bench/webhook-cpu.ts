// The webhook's CPU through the zip that ships: module init (median of 20 fresh processes, with and
// without --enable-source-maps, which the module sets), and per queued delivery (the real SDK in the
// zip talking to SSM/SQS on loopback and the ledger table on dynalite). The handler runs in child
// processes so the doubles' own CPU is not counted.
import { execFile } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { sign } from "@octokit/webhooks-methods";
import { REPO_ROOT } from "../test/helpers/paths.js";
import { LOOPBACK_AWS_ENV, unpackShippedBundle } from "../test/helpers/shipped-zip.js";
import { workflowJobFixture } from "../test/helpers/github.js";
import { startWebhookDoubles } from "../test/helpers/webhook-doubles.js";
import { median, type BenchGroup, type Figure } from "./figures.js";

const run = promisify(execFile);
const CHILD = join(REPO_ROOT, "bench", "webhook-cpu-child.cjs");
const SECRET = "bench-webhook-secret";
const FRESH_PROCESSES = 20;
const DELIVERIES = 300;
const WARM_UP = 30;

interface ChildResult {
  readonly initMs: number;
  readonly perRequestMs?: number;
  readonly userMs?: number;
  readonly systemMs?: number;
  readonly statuses?: Record<string, number>;
}

async function child(root: string, env: Record<string, string>, extra: Record<string, string> = {}): Promise<ChildResult> {
  const { stdout } = await run(process.execPath, [CHILD], {
    env: { PATH: process.env.PATH, ...LOOPBACK_AWS_ENV, POWERTOOLS_LOG_LEVEL: "SILENT", POWERTOOLS_METRICS_DISABLED: "true", ...env, ...extra, BUNDLE_ROOT: root, NODE_PATH: join(root, "opt", "nodejs", "node_modules") },
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout) as ChildResult;
}

/** `count` distinct queued deliveries (new job ids, new delivery ids), signed, as API Gateway proxy events. */
async function queuedDeliveries(count: number): Promise<unknown[]> {
  const firstId = Number(workflowJobFixture("queued").workflow_job.id);
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      // Created now (the fixture helper's default): the webhook refuses queued deliveries older than its replay bound.
      const body = JSON.stringify(workflowJobFixture("queued", { jobId: firstId + 1 + i }));
      const headers = { "X-Hub-Signature-256": await sign(SECRET, body), "X-GitHub-Event": "workflow_job", "X-GitHub-Delivery": `bench-delivery-${i}` };
      return { body, headers, isBase64Encoded: false, httpMethod: "POST", path: "/webhook" };
    }),
  );
}

export const webhookCpu: BenchGroup = {
  name: "webhook CPU through the shipped zip",
  async run() {
    const labels = workflowJobFixture("queued").workflow_job.labels as string[];
    const doubles = await startWebhookDoubles({ secret: SECRET, pools: { linux: labels } });
    const root = unpackShippedBundle("webhook");
    const eventsFile = join(root, "bench-events.json");
    try {
      const plain: number[] = [];
      const withMaps: number[] = [];
      // One after another: concurrent children would measure each other's scheduling, not init.
      for (let i = 0; i < FRESH_PROCESSES; i++) {
        plain.push((await child(root, doubles.env)).initMs);
        withMaps.push((await child(root, doubles.env, { NODE_OPTIONS: "--enable-source-maps" })).initMs);
      }
      writeFileSync(eventsFile, JSON.stringify(await queuedDeliveries(DELIVERIES)));
      const requests = await child(root, doubles.env, { EVENTS_FILE: eventsFile, WARM_UP: String(WARM_UP), NODE_OPTIONS: "--enable-source-maps" });
      const queued = doubles.sent().length;
      if (queued !== DELIVERIES) throw new Error(`the webhook queued ${queued} of ${DELIVERIES} deliveries (answers ${JSON.stringify(requests.statuses)})`);
      const spread = (values: number[]) => `median of ${values.length} fresh processes, min ${Math.min(...values).toFixed(0)}, max ${Math.max(...values).toFixed(0)}`;
      const figures: Figure[] = [
        { id: "webhook.init.cpu-ms", label: "webhook module init CPU", value: median(plain), unit: "ms", target: 120, note: spread(plain) },
        { id: "webhook.init.source-maps.cpu-ms", label: "webhook module init CPU, --enable-source-maps", value: median(withMaps), unit: "ms", target: 120, note: spread(withMaps) },
        {
          id: "webhook.request.cpu-ms",
          label: "webhook CPU per queued delivery (zip, AWS on loopback)",
          value: requests.perRequestMs as number,
          unit: "ms",
          target: 2,
          note: `the handler alone, doubles in another process; mean of ${DELIVERIES - WARM_UP} after ${WARM_UP} warm-up, one environment; user ${requests.userMs?.toFixed(2)} + system ${requests.systemMs?.toFixed(2)} ms`,
        },
      ];
      return figures;
    } finally {
      rmSync(root, { recursive: true, force: true });
      await doubles.stop();
    }
  },
};
