// The App's webhook delivery log and the Actions runs/jobs listings of the GitHub double, for the
// webhook healer (lambdas/reconcile/heal.ts). Kept apart from github.ts: GitHubWorld asks `route` first.
// Shapes follow @octokit/openapi (every answer is checked by GitHubWorld's reply).
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

/** What the log needs of a job of the world (GitHubJob in github.ts, which imports this file). */
interface ListedJob {
  readonly id: number;
  readonly runId: number;
  readonly runAttempt: number;
  readonly logicalId: number;
  readonly repository: string;
  readonly status: string;
}

/** What the log needs of a delivery of the world (WebhookDelivery in github.ts). */
interface WebhookDelivery {
  readonly at: number;
  readonly deliveryId: string;
  readonly action: string;
  readonly redelivery?: boolean;
}

const require = createRequire(import.meta.url);
const examples = (JSON.parse(readFileSync(require.resolve("@octokit/openapi/generated/api.github.com.json"), "utf8")) as {
  components: { examples: Record<string, { value: Record<string, unknown> }> };
}).components.examples;
const RUN_EXAMPLE = (examples["workflow-run"]?.value ?? {}) as Record<string, unknown>;

/** One attempt in the log (`hook-delivery-item`). */
interface LoggedAttempt {
  readonly id: number;
  readonly guid: string;
  readonly deliveredAt: number;
  readonly redelivery: boolean;
  readonly statusCode: number;
  readonly action: string;
  readonly delivery: WebhookDelivery;
}

export interface DeliveryRoutesAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
}

export class GitHubDeliveryLog<GitHubJob extends ListedJob = ListedJob, Delivery extends WebhookDelivery = WebhookDelivery> {
  readonly attempts: LoggedAttempt[] = [];
  readonly stats = { listed: 0, redeliveries: 0, runListings: 0, jobListings: 0 };
  /** Redeliveries asked for by GUID: GitHub allows many; the healer should ask once. */
  readonly redeliveriesByGuid = new Map<string, number>();
  private nextId = 50_000_001;

  constructor(
    private readonly now: () => number,
    private readonly jobs: () => Iterable<GitHubJob>,
    /** Puts a redelivery on GitHub's outgoing queue (same GUID and body). */
    private readonly schedule: (delivery: Delivery) => void,
    /** The App of a JWT, or undefined: the log answers only the App itself. */
    private readonly appOfJwt: (authorization: string) => number | undefined,
    /** A job as GET .../actions/jobs/{id} shows it; the jobs listing uses the same shape. */
    private readonly jobBody: (job: GitHubJob) => Record<string, unknown>,
  ) {}

  /** GitHub records what the endpoint answered (a delivery that never left GitHub is never recorded). */
  record(delivery: Delivery, statusCode: number): void {
    this.attempts.push({ id: this.nextId++, guid: delivery.deliveryId, deliveredAt: this.now(), redelivery: delivery.redelivery === true, statusCode, action: delivery.action, delivery });
  }

  /** Answers the routes it knows; undefined for every other route. */
  route(method: string, url: URL, authorization: string): DeliveryRoutesAnswer | undefined {
    const path = url.pathname;
    if (path === "/app/hook/deliveries" && method === "GET") return this.app(authorization) ?? this.list(url);
    let m: RegExpMatchArray | null;
    if (method === "POST" && (m = path.match(/^\/app\/hook\/deliveries\/(\d+)\/attempts$/))) return this.app(authorization) ?? this.redeliver(Number(m[1]));
    if (method === "GET" && (m = path.match(/^\/repos\/([^/]+\/[^/]+)\/actions\/runs$/))) return this.runs(m[1] as string, url.searchParams.get("status"));
    if (method === "GET" && (m = path.match(/^\/repos\/([^/]+\/[^/]+)\/actions\/runs\/(\d+)\/jobs$/))) return this.runJobs(m[1] as string, Number(m[2]));
    return undefined;
  }

  private app(authorization: string): DeliveryRoutesAnswer | undefined {
    if (this.appOfJwt(authorization) !== undefined) return undefined;
    return { status: 401, body: { message: "A JSON web token could not be decoded", documentation_url: "https://docs.github.com/rest" } };
  }

  /** Newest first, `per_page` at a time; the `cursor` names the last attempt of the previous page. */
  private list(url: URL): DeliveryRoutesAnswer {
    this.stats.listed += 1;
    const perPage = Math.min(100, Number(url.searchParams.get("per_page") ?? 30));
    const cursor = url.searchParams.get("cursor");
    const sorted = [...this.attempts].sort((a, b) => b.id - a.id);
    const start = cursor === null ? 0 : sorted.findIndex((attempt) => attempt.id < Number(cursor.replace(/^v1_/, "")));
    const page = start < 0 ? [] : sorted.slice(start, start + perPage);
    const last = page[page.length - 1];
    const more = start >= 0 && sorted.length > start + perPage && last !== undefined;
    const headers: Record<string, string> = more ? { link: `<${url.origin}${url.pathname}?per_page=${perPage}&cursor=v1_${last.id}>; rel="next"` } : {};
    return {
      status: 200,
      headers,
      body: page.map((attempt) => ({
        id: attempt.id,
        guid: attempt.guid,
        delivered_at: new Date(attempt.deliveredAt).toISOString(),
        redelivery: attempt.redelivery,
        duration: 0.05,
        status: attempt.statusCode >= 200 && attempt.statusCode < 300 ? "OK" : `Invalid HTTP Response: ${attempt.statusCode}`,
        status_code: attempt.statusCode,
        event: "workflow_job",
        action: attempt.action,
        installation_id: 1,
        repository_id: 1,
        throttled_at: null,
      })),
    };
  }

  private redeliver(id: number): DeliveryRoutesAnswer {
    const attempt = this.attempts.find((a) => a.id === id);
    if (attempt === undefined) return { status: 422, body: { message: "Validation Failed", documentation_url: "https://docs.github.com/rest", errors: [] } };
    this.stats.redeliveries += 1;
    this.redeliveriesByGuid.set(attempt.guid, (this.redeliveriesByGuid.get(attempt.guid) ?? 0) + 1);
    this.schedule({ ...(attempt.delivery as Delivery), at: this.now() + 1000, redelivery: true });
    return { status: 202, body: {} };
  }

  /** A run is queued while all its jobs are, completed once all are, in progress otherwise. */
  private runs(repository: string, status: string | null): DeliveryRoutesAnswer {
    this.stats.runListings += 1;
    const byRun = new Map<number, GitHubJob[]>();
    for (const job of this.jobs()) if (job.repository === repository) byRun.set(job.runId, [...(byRun.get(job.runId) ?? []), job]);
    const runs = [...byRun.entries()]
      .map(([runId, jobs]) => ({ runId, status: jobs.every((j) => j.status === "queued") ? "queued" : jobs.every((j) => j.status === "completed") ? "completed" : "in_progress", attempt: Math.max(...jobs.map((j) => j.runAttempt)) }))
      .filter((run) => status === null || run.status === status)
      .slice(0, 100);
    const [owner, name] = repository.split("/");
    return {
      status: 200,
      body: {
        total_count: runs.length,
        workflow_runs: runs.map((run) => ({
          ...RUN_EXAMPLE,
          id: run.runId,
          run_number: run.runId,
          run_attempt: run.attempt,
          status: run.status,
          conclusion: null,
          url: `https://api.github.com/repos/${owner}/${name}/actions/runs/${run.runId}`,
        })),
      },
    };
  }

  private runJobs(repository: string, runId: number): DeliveryRoutesAnswer {
    this.stats.jobListings += 1;
    const jobs = [...this.jobs()].filter((job) => job.repository === repository && job.runId === runId);
    // filter=latest: the newest attempt of each job only.
    const latest = jobs.filter((job) => !jobs.some((other) => other.logicalId === job.logicalId && other.runAttempt > job.runAttempt));
    return { status: 200, body: { total_count: latest.length, jobs: latest.map((job) => this.jobBody(job)) } };
  }
}
