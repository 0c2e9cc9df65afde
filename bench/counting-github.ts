// The scale-up bench's GitHub (bench/calls-per-runner.ts): a fetch that counts every request by route
// and answers the few the handler makes.
import { installationToken, jitConfigResponse, workflowJobFixture } from "../test/helpers/openapi.js";

const WORKFLOW_JOB_PATH = /^\/repos\/[^/]+\/[^/]+\/actions\/jobs\/(\d+)$/;

/**
 * A GitHub double on fetch, counted by method and route: installation tokens, JIT configs, and every
 * job still queued (GET .../actions/jobs/{id}: scale-up asks for messages older than its grace, as the
 * later jobs of a 1,000-job burst are). `now`: the bench's clock, for the budget's reset time. A
 * route it does not serve throws: a figure must not count calls that GitHub would answer otherwise.
 */
export function countingGitHub(byRoute: Map<string, number>, now: () => number): typeof globalThis.fetch {
  let runnerId = 0;
  return async (input, init) => {
    const request = new Request(input, init);
    const path = new URL(request.url).pathname;
    const route = `${request.method} ${path.replace(/\/installations\/\d+\//, "/installations/{id}/").replace(WORKFLOW_JOB_PATH, "/repos/{owner}/{repo}/actions/jobs/{id}")}`;
    byRoute.set(route, (byRoute.get(route) ?? 0) + 1);
    const headers = { "content-type": "application/json", "x-ratelimit-limit": "15000", "x-ratelimit-remaining": "14000", "x-ratelimit-reset": String(Math.floor(now() / 1000) + 3600) };
    if (request.method === "POST" && path.endsWith("/access_tokens")) return new Response(JSON.stringify(installationToken()), { status: 201, headers });
    if (request.method === "POST" && path.endsWith("/generate-jitconfig")) {
      const body = (await request.json()) as { name: string; labels: string[] };
      runnerId += 1;
      return new Response(JSON.stringify(jitConfigResponse({ id: runnerId, name: body.name, labels: body.labels })), { status: 201, headers });
    }
    const jobId = WORKFLOW_JOB_PATH.exec(path)?.[1];
    if (request.method === "GET" && jobId !== undefined) {
      return new Response(JSON.stringify(workflowJobFixture("queued", { jobId: Number(jobId) }).workflow_job), { status: 200, headers });
    }
    throw new Error(`the bench's GitHub double does not serve ${request.method} ${path}`);
  };
}
