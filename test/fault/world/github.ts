import { createHmac } from "node:crypto";
import { worldUuid } from "./random.js";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { assertMatchesOpenApi, assertMatchesWebhookSchema, workflowJobQueuedFixture } from "../../helpers/openapi.js";
import { GitHubDeliveryLog } from "./github-deliveries.js";
import { deadlineOfRequest, fireDeadline } from "./deadlines.js";
import { REQUEST_HEADER, invocationNow, invocationOf, spend } from "./invocations.js";
import type { Invocation } from "./invocations.js";
import { GITHUB_SECONDARY_LIMITS, SecondaryLimits } from "./limits.js";

/**
 * GitHub for the world: Apps and their installations (tokens, REST budget with x-ratelimit-*
 * headers), runner registrations (generate-jitconfig, list with paging, delete -> 422 while busy),
 * workflow jobs (queued, waiting, in_progress, completed; GET; re-run -> a new attempt), and the
 * workflow_job webhooks those changes send. Every answer GitHub documents is checked against
 * @octokit/openapi. The `busy` and `status` of listed runners lag the truth by `listingLagMs`.
 */

export const ORG = "octo-org";
const DOCS = "https://docs.github.com/rest";
/** GitHub's answer to a secondary-limit violation (403, or 429), as its docs show it. */
const SECONDARY_LIMIT_BODY = (status: number) => ({
  message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.",
  documentation_url: "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
  status: String(status),
});

export interface GitHubJob {
  readonly id: number;
  readonly runId: number;
  readonly runAttempt: number;
  readonly repository: string;
  readonly labels: readonly string[];
  /** The first attempt's id: a re-run is the same logical job. */
  readonly logicalId: number;
  readonly createdAt: number;
  /** How long it runs once a runner takes it. */
  readonly durationMs: number;
  status: "queued" | "waiting" | "in_progress" | "completed";
  conclusion: "success" | "failure" | "cancelled" | null;
  startedAt: number | undefined;
  completedAt: number | undefined;
  runnerId: number | undefined;
  runnerName: string | undefined;
  rerunAs: number | undefined;
}

export interface Registration {
  readonly id: number;
  readonly name: string;
  /** Org login (org scope) or owner/repo (repo scope). */
  readonly owner: string;
  readonly labels: readonly string[];
  readonly createdAt: number;
  readonly appId: number;
  status: "online" | "offline";
  busy: boolean;
  /** Changes of status and busy, for the lagging view. */
  readonly history: Array<{ at: number; status: "online" | "offline"; busy: boolean }>;
  deleted: boolean;
  jobId: number | undefined;
  /** Whether it ever ran a job. */
  ranJob: boolean;
}

export interface Installation {
  readonly id: number;
  readonly appId: number;
  readonly owner: string;
  limit: number;
  remaining: number;
  resetAt: number;
}

/** A scripted fault: the next `times` requests matching `route` get this answer. */
export interface GitHubFault {
  readonly route: RegExp;
  times: number;
  readonly kind: "server-error" | "server-error-after-effect" | "secondary-403" | "secondary-429";
  readonly status?: number;
  readonly retryAfterSeconds?: number;
}

export interface WebhookDelivery {
  readonly at: number;
  readonly deliveryId: string;
  readonly action: string;
  readonly body: string;
  readonly hook: number;
  readonly jobId: number;
  /** Sent because someone asked GitHub to redeliver it (the delivery log shows `redelivery: true`). */
  readonly redelivery?: boolean;
}

export interface GitHubOptions {
  readonly webhookSecret: string;
  readonly apps: ReadonlyArray<{ readonly appId: number; readonly installationId: number }>;
  readonly listingLagMs: number;
  /** How long GitHub takes to fail a job whose runner vanished. */
  readonly lostRunnerFailMs: number;
  /** Organizations every App is installed on (default: ORG alone). */
  readonly owners?: readonly string[];
}

export class GitHubWorld {
  readonly jobs = new Map<number, GitHubJob>();
  readonly registrations = new Map<number, Registration>();
  readonly installations = new Map<number, Installation>();
  readonly faults: GitHubFault[] = [];
  readonly deliveries: WebhookDelivery[] = [];
  /** The App's delivery log and the runs/jobs listings, for the webhook healer (github-deliveries.ts). */
  readonly deliveryLog: GitHubDeliveryLog<GitHubJob, WebhookDelivery>;
  /** Webhook scheduling: extra delay per action, copies per hook, redeliveries with the same id. */
  webhookPlan: (job: GitHubJob, action: string) => { delaysMs: number[]; redeliverAfterMs?: number[] } = () => ({ delaysMs: [0] });
  onSideEffect: (what: "jit-config", invocation: Invocation | undefined) => void = () => undefined;
  /** How long a new JIT registration stays out of the runners listing (0: listed at once). */
  newRegistrationLagMs = 0;
  /** Registrations left out of listings because they were too new. */
  hiddenNewRegistrations = 0;
  /** How long each request of an invocation takes at GitHub (0: instant). */
  latency: (invocation: Invocation) => number = () => 0;
  refuse: (invocation: Invocation | undefined) => string | undefined = () => undefined;
  /** Runner names asked for by generate-jitconfig, faulted requests included: a name twice is a retry. */
  readonly jitRequests = new Map<string, number>();
  readonly stats = { calls: 0, byRoute: new Map<string, number>(), faults: 0, rateLimited: 0, jitConfigs: 0, refusedDeletes: 0, schemaErrors: [] as string[], secondaryLimited: 0, rateLimitAnswers: 0, lastJitConfigAt: undefined as number | undefined };
  /** GitHub's documented secondary limits, enforced per App (world/limits.ts). */
  readonly secondary = new SecondaryLimits();
  private readonly tokens = new Map<string, number>();
  private server: Server | undefined;
  private nextJobId = 90_000_001;
  private nextRunId = 7_000_001;
  private nextRunnerId = 1;
  private readonly fixture = workflowJobQueuedFixture();
  private readonly checkedActions = new Set<string>();
  /** Queued jobs, oldest first (rebuilt when a job becomes queued). */
  private queued: GitHubJob[] | undefined;

  constructor(
    private readonly options: GitHubOptions,
    private readonly now: () => number,
  ) {
    this.deliveryLog = new GitHubDeliveryLog(now, () => this.jobs.values(), (delivery) => this.deliveries.push(delivery), (auth) => this.appOfJwt(auth), jobBody);
    (options.owners ?? [ORG]).forEach((owner, index) => {
      for (const app of options.apps) {
        const id = app.installationId + index * 1000;
        this.installations.set(id, { id, appId: app.appId, owner, limit: 5000, remaining: 5000, resetAt: now() + 3_600_000 });
      }
    });
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      // More than 100 requests of one App at once is a secondary limit too.
      const identity = this.identityOf(String(req.headers.authorization ?? ""));
      if (!this.secondary.begin(identity)) {
        this.stats.secondaryLimited += 1;
        this.stats.rateLimitAnswers += 1;
        res.writeHead(403, { "content-type": "application/json; charset=utf-8", "retry-after": String(GITHUB_SECONDARY_LIMITS.retryAfterSeconds) });
        res.end(JSON.stringify(SECONDARY_LIMIT_BODY(403)));
        return;
      }
      let done = false;
      const end = (): void => {
        if (!done) this.secondary.end(identity);
        done = true;
      };
      res.on("close", end);
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        this.answer(req, res, Buffer.concat(chunks).toString("utf8"));
        // A request held by the call scheduler whose client gave up reaches here with its socket closed
        // already ("close" came before this listener): it is done once answered, or it would count as in
        // flight for ever (after 100 such JIT POSTs, every call of the App was refused).
        if (req.socket.destroyed) end();
      });
    });
    // Keep idle sockets open: Node closes them after 5 s by default, and a client reusing one at that instant on a loaded machine gets ECONNRESET.
    this.server.keepAliveTimeout = 0;
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The REST API's server, once started (the call scheduler holds requests at it). */
  get httpServer(): Server | undefined {
    return this.server;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server === undefined ? resolve() : this.server.close(() => resolve())));
  }

  // ---------------------------------------------------------------- the world's side

  /** A workflow run queues a job (and sends `queued`). */
  queueJob(input: { repository: string; labels: readonly string[]; durationMs: number; waitingFirst?: boolean }): GitHubJob {
    const id = this.nextJobId++;
    const job: GitHubJob = {
      id,
      runId: this.nextRunId++,
      runAttempt: 1,
      repository: input.repository,
      labels: input.labels,
      logicalId: id,
      createdAt: this.now(),
      durationMs: input.durationMs,
      status: "queued",
      conclusion: null,
      startedAt: undefined,
      completedAt: undefined,
      runnerId: undefined,
      runnerName: undefined,
      rerunAs: undefined,
    };
    this.jobs.set(id, job);
    this.queued = undefined;
    this.send(job, "queued");
    return job;
  }

  /** Environment protection: the job waits for approval (`waiting`), then is queued again (`queued`). */
  holdJob(job: GitHubJob): void {
    if (job.status !== "queued") return;
    job.status = "waiting";
    this.send(job, "waiting");
  }

  releaseJob(job: GitHubJob): void {
    if (job.status !== "waiting") return;
    job.status = "queued";
    this.queued = undefined;
    this.send(job, "queued");
  }

  /** Someone cancels the run while the job still waits for a runner: it completes as cancelled. */
  cancelJob(job: GitHubJob): void {
    if (job.status !== "queued" && job.status !== "waiting") return;
    job.status = "completed";
    job.conclusion = "cancelled";
    job.completedAt = this.now();
    this.queued = undefined;
    this.send(job, "completed");
  }

  /** A person re-runs a failed job from the UI (a new attempt, queued). */
  rerunByPerson(job: GitHubJob): void {
    this.rerun(job);
  }

  /** A JIT runner connects with its configuration; false when its registration is gone. */
  connect(runnerId: number): boolean {
    const registration = this.registrations.get(runnerId);
    if (registration === undefined || registration.deleted) return false;
    this.setRunner(registration, "online", false);
    return true;
  }

  /** The runner process ended without a job (watchdog, instance gone): offline, registration stays. */
  disconnect(runnerId: number): void {
    const registration = this.registrations.get(runnerId);
    if (registration === undefined || registration.deleted) return;
    this.setRunner(registration, "offline", registration.busy);
  }

  /** GitHub hands a queued job to an idle online runner with matching labels and owner. */
  assign(runnerId: number): GitHubJob | undefined {
    const registration = this.registrations.get(runnerId);
    if (registration === undefined || registration.deleted || registration.status !== "online" || registration.busy || registration.jobId !== undefined) return undefined;
    const offered = new Set(registration.labels.map((l) => l.toLowerCase()));
    this.queued ??= [...this.jobs.values()].filter((j) => j.status === "queued").sort((a, b) => a.createdAt - b.createdAt || a.id - b.id);
    const job = this.queued.find(
      (j) =>
        j.status === "queued" &&
        j.labels.every((l) => offered.has(l.toLowerCase())) &&
        (registration.owner.includes("/") ? j.repository === registration.owner : j.repository.startsWith(`${registration.owner}/`)),
    );
    if (job === undefined) return undefined;
    this.queued.splice(this.queued.indexOf(job), 1);
    job.status = "in_progress";
    job.startedAt = this.now();
    job.runnerId = registration.id;
    job.runnerName = registration.name;
    registration.jobId = job.id;
    registration.ranJob = true;
    this.setRunner(registration, "online", true);
    this.send(job, "in_progress");
    return job;
  }

  /**
   * A runner outside the kit (another runner group, a long-lived self-hosted machine) takes a queued
   * job: `in_progress` names that runner, and the kit's runner launched for the job never gets it.
   */
  takeElsewhere(job: GitHubJob, runnerName: string): boolean {
    if (job.status !== "queued") return false;
    job.status = "in_progress";
    job.startedAt = this.now();
    job.runnerId = 8_000_000 + job.id;
    job.runnerName = runnerName;
    this.queued = undefined;
    this.send(job, "in_progress");
    return true;
  }

  /** The job ends on its runner; the ephemeral registration goes away with it. */
  finishJob(jobId: number, conclusion: "success" | "failure"): void {
    const job = this.jobs.get(jobId);
    if (job === undefined || job.status === "completed") return;
    job.status = "completed";
    job.conclusion = conclusion;
    job.completedAt = this.now();
    const registration = job.runnerId === undefined ? undefined : this.registrations.get(job.runnerId);
    if (registration !== undefined) {
      this.setRunner(registration, "offline", false);
      registration.deleted = true;
    }
    this.send(job, "completed");
  }

  /** Some registrations as the API lists them now: busy and status as they were `listingLagMs` ago. */
  private view(registration: Registration): { status: "online" | "offline"; busy: boolean } {
    const seenAt = this.now() - this.options.listingLagMs;
    let state = { status: "offline" as "online" | "offline", busy: false };
    for (const entry of registration.history) {
      if (entry.at > seenAt) break;
      state = { status: entry.status, busy: entry.busy };
    }
    return state;
  }

  private setRunner(registration: Registration, status: "online" | "offline", busy: boolean): void {
    registration.status = status;
    registration.busy = busy;
    registration.history.push({ at: this.now(), status, busy });
  }

  /** Webhooks due now, removed from the queue. */
  dueDeliveries(): WebhookDelivery[] {
    const now = this.now();
    const due = this.deliveries.filter((d) => d.at <= now).sort((a, b) => a.at - b.at);
    for (const d of due) this.deliveries.splice(this.deliveries.indexOf(d), 1);
    return due;
  }

  signature(body: string): string {
    return `sha256=${createHmac("sha256", this.options.webhookSecret).update(body).digest("hex")}`;
  }

  private send(job: GitHubJob, action: "queued" | "waiting" | "in_progress" | "completed"): void {
    const payload = this.webhookPayload(job, action);
    const schema = { queued: "webhook-workflow-job-queued", waiting: "webhook-workflow-job-waiting", in_progress: "webhook-workflow-job-in-progress", completed: "webhook-workflow-job-completed" }[action];
    // Every payload of an action has the same shape: checking the first of each is enough.
    if (!this.checkedActions.has(action)) {
      this.checkedActions.add(action);
      try {
        assertMatchesWebhookSchema(schema, payload);
      } catch (error) {
        this.stats.schemaErrors.push(String(error));
      }
    }
    const body = JSON.stringify(payload);
    const plan = this.webhookPlan(job, action);
    plan.delaysMs.forEach((delay, hook) => {
      const deliveryId = worldUuid();
      this.deliveries.push({ at: this.now() + delay, deliveryId, action, body, hook, jobId: job.id });
      for (const after of plan.redeliverAfterMs ?? []) this.deliveries.push({ at: this.now() + delay + after, deliveryId, action, body, hook, jobId: job.id });
    });
  }

  private webhookPayload(job: GitHubJob, action: string): Record<string, unknown> {
    const [owner, name] = job.repository.split("/") as [string, string];
    // The first App's installation on the job's organization (the App that receives the webhooks).
    const installation = ([...this.installations.values()].find((i) => i.owner === owner) ?? [...this.installations.values()][0]) as Installation;
    const iso = (t: number | undefined) => (t === undefined ? null : new Date(t).toISOString().replace(/\.\d{3}Z$/, "Z"));
    const base = this.fixture;
    return {
      ...base,
      action,
      workflow_job: {
        ...base.workflow_job,
        id: job.id,
        run_id: job.runId,
        run_attempt: job.runAttempt,
        run_url: `https://api.github.com/repos/${job.repository}/actions/runs/${job.runId}`,
        url: `https://api.github.com/repos/${job.repository}/actions/jobs/${job.id}`,
        html_url: `https://github.com/${job.repository}/actions/runs/${job.runId}/job/${job.id}`,
        check_run_url: `https://api.github.com/repos/${job.repository}/check-runs/${job.id}`,
        node_id: `CR_${job.id}`,
        status: job.status,
        conclusion: job.conclusion,
        labels: [...job.labels],
        created_at: iso(job.createdAt),
        started_at: iso(job.startedAt ?? job.createdAt),
        completed_at: iso(job.completedAt),
        runner_id: job.runnerId ?? null,
        runner_name: job.runnerName ?? null,
        runner_group_id: job.runnerId === undefined ? null : 1,
        runner_group_name: job.runnerId === undefined ? null : "Default",
        steps: [],
      },
      repository: { ...base.repository, name, full_name: job.repository, owner: { ...base.repository.owner, login: owner } },
      installation: { id: installation.id, node_id: `MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u${installation.id}` },
    };
  }

  // ---------------------------------------------------------------- the REST API

  private answer(req: IncomingMessage, res: ServerResponse, text: string): void {
    const url = new URL(req.url ?? "/", "http://github.test");
    const method = req.method ?? "GET";
    const route = `${method} ${url.pathname}`;
    this.stats.calls += 1;
    const template = route
      .replace(/\/installations\/\d+\//, "/installations/{id}/")
      .replace(/\/runners\/\d+$/, "/runners/{id}")
      .replace(/\/jobs\/\d+/, "/jobs/{id}")
      .replace(/\/repos\/[^/]+\/[^/]+\//, "/repos/{o}/{r}/");
    this.stats.byRoute.set(template, (this.stats.byRoute.get(template) ?? 0) + 1);
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}, check = true): void => {
      if (check && status < 500) {
        try {
          assertMatchesOpenApi(method, url.pathname, status, body);
        } catch (error) {
          this.stats.schemaErrors.push(String(error));
        }
      }
      res.writeHead(status, { "content-type": "application/json; charset=utf-8", date: new Date(this.now()).toUTCString(), "x-github-request-id": worldUuid(), ...headers });
      res.end(body === undefined ? "" : JSON.stringify(body));
    };
    const invocation = invocationOf(req.headers);
    const refused = this.refuse(invocation);
    if (refused !== undefined) {
      reply(500, { message: refused }, {}, false);
      return;
    }
    // A slow GitHub: the request takes the invocation's time (the clock runs on during it).
    const latencyMs = invocation === undefined ? 0 : this.latency(invocation);
    if (invocation !== undefined && latencyMs > 0) {
      // The client's deadline (Octokit's request timeout) may come first: it gives up there, GitHub acts all the same.
      const deadline = deadlineOfRequest(Number(req.headers[REQUEST_HEADER]));
      const start = invocationNow(invocation);
      if (deadline !== undefined && deadline.at < start + latencyMs) {
        spend(invocation, Math.max(0, deadline.at - start));
        fireDeadline(deadline);
      } else {
        spend(invocation, latencyMs);
      }
    }

    const auth = String(req.headers.authorization ?? "");
    const installation = this.installationOf(auth);
    const budget = installation === undefined ? {} : this.budgetHeaders(installation);
    // The request's own moment: the clock stands still during an invocation, its paced waits do not.
    const at = Math.max(this.now(), invocation?.waitedUntil ?? 0);
    const identity = this.identityOf(auth);
    if (!this.secondary.admit(identity, template, method, at)) {
      this.stats.secondaryLimited += 1;
      this.stats.rateLimitAnswers += 1;
      reply(403, SECONDARY_LIMIT_BODY(403), { ...budget, "retry-after": String(GITHUB_SECONDARY_LIMITS.retryAfterSeconds) }, false);
      return;
    }
    if (installation !== undefined && installation.remaining <= 0) {
      this.stats.rateLimited += 1;
      this.stats.rateLimitAnswers += 1;
      reply(403, { message: `API rate limit exceeded for installation ID ${installation.id}.`, documentation_url: `${DOCS}/overview/rate-limits-for-the-rest-api`, status: "403" }, budget, false);
      return;
    }
    if (route.endsWith("/generate-jitconfig") && text !== "") {
      const name = String((JSON.parse(text) as { name?: unknown }).name);
      this.jitRequests.set(name, (this.jitRequests.get(name) ?? 0) + 1);
    }
    const fault = this.faults.find((f) => f.times > 0 && f.route.test(route));
    if (fault !== undefined && fault.kind !== "server-error-after-effect") {
      fault.times -= 1;
      this.stats.faults += 1;
      if (fault.kind === "server-error") {
        reply(fault.status ?? 502, { message: "Server Error" }, budget, false);
      } else {
        const status = fault.kind === "secondary-403" ? 403 : 429;
        const retryAfter: Record<string, string> = fault.retryAfterSeconds === undefined ? {} : { "retry-after": String(fault.retryAfterSeconds) };
        this.stats.rateLimitAnswers += 1;
        reply(status, SECONDARY_LIMIT_BODY(status), { ...budget, ...retryAfter }, false);
      }
      return;
    }
    if (installation !== undefined) installation.remaining -= 1;
    const headers = installation === undefined ? {} : this.budgetHeaders(installation);
    const body = text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
    const healerAnswer = this.deliveryLog.route(method, url, auth);
    if (healerAnswer !== undefined) {
      reply(healerAnswer.status, healerAnswer.body, { ...headers, ...healerAnswer.headers });
      return;
    }
    const [status, answer] = this.route(method, url, body, auth, invocation);
    if (route.endsWith("/generate-jitconfig") && status === 201) this.stats.lastJitConfigAt = Math.max(this.stats.lastJitConfigAt ?? 0, at);
    if (fault !== undefined && status < 300) {
      // The effect happened, the answer was lost: a retry meets the effect (e.g. 409 for the same runner name).
      fault.times -= 1;
      this.stats.faults += 1;
      reply(fault.status ?? 502, { message: "Server Error" }, headers, false);
      return;
    }
    reply(status, answer, headers);
  }

  private identityOf(authorization: string): string {
    return `app-${this.installationOf(authorization)?.appId ?? this.appOfJwt(authorization) ?? "anonymous"}`;
  }

  private installationOf(authorization: string): Installation | undefined {
    const token = authorization.replace(/^(token|bearer)\s+/i, "");
    const id = this.tokens.get(token);
    return id === undefined ? undefined : this.installations.get(id);
  }

  private appOfJwt(authorization: string): number | undefined {
    const jwt = authorization.replace(/^bearer\s+/i, "");
    const payload = jwt.split(".")[1];
    if (payload === undefined) return undefined;
    try {
      return Number((JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { iss?: unknown }).iss);
    } catch {
      return undefined;
    }
  }

  private budgetHeaders(installation: Installation): Record<string, string> {
    if (this.now() >= installation.resetAt) {
      installation.remaining = installation.limit;
      installation.resetAt = this.now() + 3_600_000;
    }
    return {
      "x-ratelimit-limit": String(installation.limit),
      "x-ratelimit-remaining": String(Math.max(0, installation.remaining)),
      "x-ratelimit-reset": String(Math.floor(installation.resetAt / 1000)),
      "x-ratelimit-used": String(installation.limit - Math.max(0, installation.remaining)),
      "x-ratelimit-resource": "core",
    };
  }

  private route(method: string, url: URL, body: Record<string, unknown>, auth: string, invocation: Invocation | undefined): [number, unknown] {
    const path = url.pathname;
    let m: RegExpMatchArray | null;
    if (method === "POST" && (m = path.match(/^\/app\/installations\/(\d+)\/access_tokens$/))) {
      const installation = this.installations.get(Number(m[1]));
      if (installation === undefined || installation.appId !== this.appOfJwt(auth)) return [404, { message: "Not Found", documentation_url: DOCS }];
      const token = `ghs_${worldUuid().replace(/-/g, "")}`;
      this.tokens.set(token, installation.id);
      return [201, { token, expires_at: new Date(this.now() + 3_600_000).toISOString(), permissions: { organization_self_hosted_runners: "write", actions: "write" }, repository_selection: "all" }];
    }
    if (method === "GET" && (m = path.match(/^\/orgs\/([^/]+)\/installation$/))) {
      const appId = this.appOfJwt(auth);
      const installation = [...this.installations.values()].find((i) => i.appId === appId && i.owner === m?.[1]);
      if (installation === undefined) return [404, { message: "Not Found", documentation_url: DOCS }];
      return [200, installationBody(installation)];
    }
    if (method === "GET" && (m = path.match(/^\/repos\/([^/]+)\/([^/]+)\/installation$/))) {
      const appId = this.appOfJwt(auth);
      const installation = [...this.installations.values()].find((i) => i.appId === appId && i.owner === m?.[1]);
      if (installation === undefined) return [404, { message: "Not Found", documentation_url: DOCS }];
      return [200, installationBody(installation)];
    }
    const scope = path.match(/^\/(?:orgs\/([^/]+)|repos\/([^/]+\/[^/]+))\/actions\/runners(\/.*)?$/);
    if (scope !== null) {
      const owner = (scope[1] ?? scope[2]) as string;
      const rest = scope[3] ?? "";
      if (method === "POST" && rest === "/generate-jitconfig") return this.generateJitConfig(owner, body, auth, invocation);
      if (method === "GET" && rest === "") return this.listRunners(owner, url);
      if (method === "DELETE" && (m = rest.match(/^\/(\d+)$/))) return this.deleteRunner(owner, Number(m[1]));
    }
    if ((m = path.match(/^\/repos\/([^/]+\/[^/]+)\/actions\/jobs\/(\d+)(\/rerun)?$/))) {
      const job = this.jobs.get(Number(m[2]));
      if (job === undefined || job.repository !== m[1]) return [404, { message: "Not Found", documentation_url: DOCS }];
      if (method === "GET" && m[3] === undefined) return [200, jobBody(job)];
      if (method === "POST" && m[3] === "/rerun") return this.rerun(job);
    }
    return [404, { message: "Not Found", documentation_url: DOCS }];
  }

  private generateJitConfig(owner: string, body: Record<string, unknown>, auth: string, invocation: Invocation | undefined): [number, unknown] {
    const name = String(body.name);
    if ([...this.registrations.values()].some((r) => !r.deleted && r.owner === owner && r.name === name)) {
      return [409, { message: `Already exists - A runner with the name ${name} already exists.`, documentation_url: DOCS }];
    }
    const labels = (body.labels as string[]).map(String);
    const registration: Registration = {
      id: this.nextRunnerId++,
      name,
      owner,
      labels,
      createdAt: this.now(),
      appId: this.installationOf(auth)?.appId ?? 0,
      status: "offline",
      busy: false,
      history: [{ at: this.now(), status: "offline", busy: false }],
      deleted: false,
      jobId: undefined,
      ranJob: false,
    };
    this.registrations.set(registration.id, registration);
    this.stats.jitConfigs += 1;
    this.onSideEffect("jit-config", invocation);
    return [
      201,
      {
        runner: { ...runnerBody(registration, { status: "offline", busy: false }) },
        encoded_jit_config: Buffer.from(JSON.stringify({ runnerId: registration.id, name, owner })).toString("base64"),
      },
    ];
  }

  private listRunners(owner: string, url: URL): [number, unknown] {
    const perPage = Math.min(100, Number(url.searchParams.get("per_page") ?? 30));
    const page = Number(url.searchParams.get("page") ?? 1);
    // A new registration shows in the listing only `newRegistrationLagMs` after it was created.
    // GitHub's `name` filter (api.github.com's description of both listings): one exact name.
    const name = url.searchParams.get("name");
    const listed = [...this.registrations.values()].filter((r) => !r.deleted && r.owner === owner && (name === null || r.name === name));
    const all = listed.filter((r) => this.now() - r.createdAt >= this.newRegistrationLagMs).sort((a, b) => a.id - b.id);
    this.hiddenNewRegistrations += listed.length - all.length;
    const slice = all.slice((page - 1) * perPage, page * perPage);
    return [200, { total_count: all.length, runners: slice.map((r) => runnerBody(r, this.view(r))) }];
  }

  private deleteRunner(owner: string, runnerId: number): [number, unknown] {
    const registration = this.registrations.get(runnerId);
    if (registration === undefined || registration.deleted || registration.owner !== owner) return [404, { message: "Not Found", documentation_url: DOCS }];
    // GitHub refuses on the true state, not the lagging listing.
    if (registration.busy) {
      this.stats.refusedDeletes += 1;
      return [422, { message: `Bad request - Runner "${registration.name}" is still running a job"`, documentation_url: DOCS, errors: [] }];
    }
    registration.deleted = true;
    this.setRunner(registration, "offline", false);
    return [204, undefined];
  }

  private rerun(job: GitHubJob): [number, unknown] {
    if (job.status !== "completed") return [403, { message: "This job is not completed", documentation_url: DOCS }];
    if (job.rerunAs !== undefined) return [201, {}];
    const id = this.nextJobId++;
    const next: GitHubJob = {
      ...job,
      id,
      runAttempt: job.runAttempt + 1,
      createdAt: this.now(),
      status: "queued",
      conclusion: null,
      startedAt: undefined,
      completedAt: undefined,
      runnerId: undefined,
      runnerName: undefined,
      rerunAs: undefined,
    };
    job.rerunAs = id;
    this.jobs.set(id, next);
    this.queued = undefined;
    this.send(next, "queued");
    return [201, {}];
  }

  /** A runner vanished mid-job (instance terminated or reclaimed): GitHub fails the job a little later. */
  runnerLost(runnerId: number): number | undefined {
    const registration = this.registrations.get(runnerId);
    if (registration === undefined) return undefined;
    this.setRunner(registration, "offline", registration.busy);
    return registration.jobId;
  }

  get lostRunnerFailMs(): number {
    return this.options.lostRunnerFailMs;
  }
}

function runnerBody(registration: Registration, view: { status: string; busy: boolean }): Record<string, unknown> {
  return {
    id: registration.id,
    runner_group_id: 1,
    name: registration.name,
    os: "linux",
    status: view.status,
    busy: view.busy,
    ephemeral: true,
    labels: registration.labels.map((name, index) => ({ id: index + 1, name, type: name === "self-hosted" ? "read-only" : "custom" })),
  };
}

function jobBody(job: GitHubJob): Record<string, unknown> {
  const iso = (t: number | undefined) => (t === undefined ? null : new Date(t).toISOString());
  return {
    id: job.id,
    run_id: job.runId,
    run_url: `https://api.github.com/repos/${job.repository}/actions/runs/${job.runId}`,
    run_attempt: job.runAttempt,
    node_id: `CR_${job.id}`,
    head_sha: "f95f852bd8fca8fcc58a9a2d6c842781e32a215e",
    url: `https://api.github.com/repos/${job.repository}/actions/jobs/${job.id}`,
    html_url: `https://github.com/${job.repository}/actions/runs/${job.runId}/job/${job.id}`,
    status: job.status,
    conclusion: job.conclusion,
    created_at: iso(job.createdAt),
    started_at: iso(job.startedAt ?? job.createdAt),
    completed_at: iso(job.completedAt),
    name: "build",
    steps: [],
    check_run_url: `https://api.github.com/repos/${job.repository}/check-runs/${job.id}`,
    labels: [...job.labels],
    runner_id: job.runnerId ?? null,
    runner_name: job.runnerName ?? null,
    runner_group_id: job.runnerId === undefined ? null : 1,
    runner_group_name: job.runnerId === undefined ? null : "Default",
    workflow_name: "CI",
    head_branch: "main",
  };
}

function installationBody(installation: Installation): Record<string, unknown> {
  return {
    id: installation.id,
    account: {
      login: installation.owner,
      id: 6811672,
      node_id: "MDEyOk9yZ2FuaXphdGlvbjE=",
      avatar_url: "https://avatars.githubusercontent.com/u/6811672?v=4",
      gravatar_id: "",
      url: `https://api.github.com/users/${installation.owner}`,
      html_url: `https://github.com/${installation.owner}`,
      followers_url: `https://api.github.com/users/${installation.owner}/followers`,
      following_url: `https://api.github.com/users/${installation.owner}/following{/other_user}`,
      gists_url: `https://api.github.com/users/${installation.owner}/gists{/gist_id}`,
      starred_url: `https://api.github.com/users/${installation.owner}/starred{/owner}{/repo}`,
      subscriptions_url: `https://api.github.com/users/${installation.owner}/subscriptions`,
      organizations_url: `https://api.github.com/users/${installation.owner}/orgs`,
      repos_url: `https://api.github.com/users/${installation.owner}/repos`,
      events_url: `https://api.github.com/users/${installation.owner}/events{/privacy}`,
      received_events_url: `https://api.github.com/users/${installation.owner}/received_events`,
      type: "Organization",
      site_admin: false,
    },
    repository_selection: "all",
    access_tokens_url: `https://api.github.com/app/installations/${installation.id}/access_tokens`,
    repositories_url: "https://api.github.com/installation/repositories",
    html_url: `https://github.com/organizations/${installation.owner}/settings/installations/${installation.id}`,
    app_id: installation.appId,
    app_slug: `self-runners-${installation.appId}`,
    target_id: 6811672,
    target_type: "Organization",
    permissions: { organization_self_hosted_runners: "write", actions: "write" },
    events: ["workflow_job"],
    created_at: "2024-01-01T00:00:00Z",
    updated_at: "2024-01-01T00:00:00Z",
    single_file_name: null,
    suspended_by: null,
    suspended_at: null,
  };
}
