import type { GitHubClient } from "../../shared/index.js";
import type { DeliveryAttempt, ListedJob } from "../heal-plan.js";

/** One page of the App's delivery log, newest first, and the cursor of the next (older) page. */
export interface DeliveryPage {
  readonly attempts: DeliveryAttempt[];
  readonly nextCursor?: string;
}

/** The App's webhook delivery log (App JWT: these endpoints refuse installation tokens). */
export interface DeliveryLog {
  /** `GET /app/hook/deliveries`: one call. */
  page(cursor: string | undefined): Promise<DeliveryPage>;
  /** `POST /app/hook/deliveries/{delivery_id}/attempts`: one call. */
  redeliver(deliveryId: number): Promise<void>;
}

/** The largest page GitHub serves. */
export const DELIVERIES_PER_PAGE = 100;

/**
 * The cursor of the `rel="next"` link. Octokit's paginate plugin follows Link headers but does not
 * hand the cursor out, and the healer keeps it across runs, so the header is read here.
 */
export function nextPageCursor(link: string | undefined): string | undefined {
  for (const part of (link ?? "").split(",")) {
    const match = part.match(/<([^>]+)>\s*;\s*rel="next"/);
    if (match?.[1] !== undefined) return new URL(match[1]).searchParams.get("cursor") ?? undefined;
  }
  return undefined;
}

export function gitHubDeliveryLog(app: () => Promise<GitHubClient>): DeliveryLog {
  return {
    async page(cursor) {
      const response = await (await app()).request("GET /app/hook/deliveries", { per_page: DELIVERIES_PER_PAGE, ...(cursor === undefined ? {} : { cursor }) });
      const attempts = response.data.map((item) => ({
        id: Number(item.id),
        guid: item.guid,
        deliveredAt: new Date(item.delivered_at).toISOString(),
        redelivery: item.redelivery,
        statusCode: item.status_code,
        event: item.event,
        action: item.action,
      }));
      const nextCursor = nextPageCursor(response.headers.link);
      return nextCursor === undefined ? { attempts } : { attempts, nextCursor };
    },
    async redeliver(deliveryId) {
      await (await app()).request("POST /app/hook/deliveries/{delivery_id}/attempts", { delivery_id: deliveryId });
    },
  };
}

/** Runs and jobs GitHub reports for a repository, through its installation. */
export interface QueuedJobsSource {
  /** `GET /repos/{owner}/{repo}/actions/runs?status=`: one call; the ids of the first page's runs. */
  runs(repository: string, installationId: number, status: "queued" | "in_progress"): Promise<number[]>;
  /** `GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs?filter=latest`: one call. */
  jobs(repository: string, installationId: number, runId: number): Promise<ListedJob[]>;
}

export function gitHubQueuedJobs(installation: (installationId: number) => Promise<GitHubClient>): QueuedJobsSource {
  const split = (repository: string) => {
    const [owner = "", repo = ""] = repository.split("/");
    return { owner, repo };
  };
  return {
    async runs(repository, installationId, status) {
      const response = await (await installation(installationId)).request("GET /repos/{owner}/{repo}/actions/runs", { ...split(repository), status, per_page: 100 });
      return response.data.workflow_runs.map((run) => Number(run.id));
    },
    async jobs(repository, installationId, runId) {
      const response = await (await installation(installationId)).request("GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs", {
        ...split(repository),
        run_id: runId,
        filter: "latest",
        per_page: 100,
      });
      return response.data.jobs.map((job) => ({
        id: Number(job.id),
        runId: Number(job.run_id),
        runAttempt: job.run_attempt ?? 1,
        status: job.status,
        labels: job.labels,
        createdAt: job.created_at,
      }));
    },
  };
}
