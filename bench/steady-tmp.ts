// temporary: per-delivery CPU after different warm-ups (not committed)
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { sign } from "@octokit/webhooks-methods";
import { REPO_ROOT } from "../test/helpers/paths.js";
import { LOOPBACK_AWS_ENV, unpackShippedBundle } from "../test/helpers/shipped-zip.js";
import { workflowJobFixture } from "../test/helpers/github.js";
import { startWebhookDoubles } from "../test/helpers/webhook-doubles.js";
const run = promisify(execFile);
const SECRET = "bench-webhook-secret";
let nextJob = Number(workflowJobFixture("queued").workflow_job.id) + 1;
async function events(count: number) {
  return Promise.all(Array.from({ length: count }, async () => {
    const jobId = nextJob++;
    const body = JSON.stringify(workflowJobFixture("queued", { jobId }));
    return { body, headers: { "X-Hub-Signature-256": await sign(SECRET, body), "X-GitHub-Event": "workflow_job", "X-GitHub-Delivery": `d-${jobId}` }, isBase64Encoded: false, httpMethod: "POST", path: "/webhook" };
  }));
}
const labels = workflowJobFixture("queued").workflow_job.labels as string[];
const doubles = await startWebhookDoubles({ secret: SECRET, pools: { linux: labels } });
const root = unpackShippedBundle("webhook");
const work = mkdtempSync(join(tmpdir(), "wh-st-"));
for (const [total, warm] of [[300, 30], [1300, 300], [300, 30], [1300, 300]]) {
  const f = join(work, `e-${total}.json`);
  writeFileSync(f, JSON.stringify(await events(total)));
  const { stdout } = await run(process.execPath, [join(REPO_ROOT, "bench", "webhook-cpu-child.cjs")], { env: { PATH: process.env.PATH, ...LOOPBACK_AWS_ENV, POWERTOOLS_LOG_LEVEL: "SILENT", POWERTOOLS_METRICS_DISABLED: "true", ...doubles.env, BUNDLE_ROOT: root, EVENTS_FILE: f, WARM_UP: String(warm) }, maxBuffer: 1 << 26 });
  const r = JSON.parse(stdout);
  console.log(total, warm, r.perRequestMs.toFixed(2), "user", r.userMs.toFixed(2), "sys", r.systemMs.toFixed(2));
}
await doubles.stop();
