import { describe, expect, it } from "vitest";
import { InvalidWorkflowJobError } from "../../../lambdas/shared/index.js";
import { matchPool, routeDelivery } from "../../../lambdas/webhook/route.js";
import { workflowJobFixture, workflowJobQueuedFixture } from "../../helpers/github.js";

const pools = {
  "linux-arm": { labels: ["linux", "arm64"] },
  "linux-gpu": { labels: ["Linux", "gpu", "x64"] },
  linux: { labels: ["linux", "x64"] },
};

/** The default admission policy: empty allowlists admit any owner and repository. */
const ANY_OWNER = { allowedOwners: [], allowedRepositories: [] };

describe("matchPool", () => {
  it.each([
    { name: "explicit self-hosted plus pool labels", labels: ["self-hosted", "linux", "x64"], pool: "linux" },
    { name: "pool labels without self-hosted", labels: ["linux", "x64"], pool: "linux" },
    { name: "subset of pool labels", labels: ["arm64"], pool: "linux-arm" },
    { name: "case-insensitive on both sides", labels: ["SELF-HOSTED", "LINUX", "GPU"], pool: "linux-gpu" },
    { name: "first sorted key wins when several match", labels: ["linux"], pool: "linux" },
    { name: "only self-hosted matches the first sorted pool", labels: ["self-hosted"], pool: "linux" },
    { name: "no labels match nothing", labels: [], pool: undefined },
    { name: "a label no pool has", labels: ["linux", "windows"], pool: undefined },
    { name: "GitHub-hosted label", labels: ["ubuntu-latest"], pool: undefined },
  ])("$name", ({ labels, pool }) => {
    expect(matchPool(labels, pools)).toBe(pool);
  });

  it("sorts keys rather than trusting object insertion order", () => {
    // Arrange
    const unordered = { zeta: { labels: ["linux"] }, alpha: { labels: ["linux"] } };

    // Act / Assert
    expect(matchPool(["linux"], unordered)).toBe("alpha");
  });
});

describe("routeDelivery", () => {
  const receivedAt = new Date("2024-06-11T14:02:21.000Z");
  const base = { deliveryId: "0b989ba4-242f-11e5-81e1-c7b6966d2516", pools, receivedAt, admission: ANY_OWNER, maxJobAgeSeconds: 3600 };

  it("answers ping with pong", () => {
    expect(routeDelivery({ ...base, event: "ping", payload: { zen: "Keep it logically awesome." } })).toEqual({ kind: "pong" });
  });

  it.each([
    { event: "push", payload: {}, message: "ignored: event push is not handled" },
    { event: undefined, payload: { action: "queued" }, message: "ignored: no X-GitHub-Event header" },
    { event: "workflow_run", payload: { action: "requested" }, message: "ignored: event workflow_run is not handled" },
    { event: "workflow_job", payload: { action: "waiting" }, message: "ignored: action waiting is not handled" },
    { event: "workflow_job", payload: { action: "requested" }, message: "ignored: action requested is not handled" },
    { event: "workflow_job", payload: {}, message: "ignored: action undefined is not handled" },
  ])("ignores $event/$payload.action", ({ event, payload, message }) => {
    expect(routeDelivery({ ...base, event, payload })).toEqual({ kind: "ignore", message });
  });

  it.each([
    { name: "an object without a callable toString", action: JSON.parse('{"toString":1,"valueOf":null}'), shown: "(object)" },
    { name: "an array", action: ["queued"], shown: "(array)" },
    { name: "a deeply nested array", action: JSON.parse(`${"[".repeat(20_000)}${"]".repeat(20_000)}`), shown: "(array)" },
    { name: "null", action: null, shown: "null" },
    { name: "a number", action: 1, shown: "1" },
    { name: "no action", action: undefined, shown: "undefined" },
  ])("ignores $name as action, naming its type", ({ action, shown }) => {
    // Arrange
    const payload = { ...workflowJobQueuedFixture(), action };

    // Act
    const decision = routeDelivery({ ...base, event: "workflow_job", payload });

    // Assert
    expect(decision).toEqual({ kind: "ignore", message: `ignored: action ${shown} is not handled` });
  });

  it("ignores a queued job no pool serves, naming its labels", () => {
    // Arrange
    const payload = workflowJobQueuedFixture();
    payload.workflow_job.labels = ["self-hosted", "windows"];

    // Act
    const decision = routeDelivery({ ...base, event: "workflow_job", payload });

    // Assert
    expect(decision).toEqual({ kind: "ignore", message: "ignored: no pool matches labels [self-hosted, windows]" });
  });

  it("builds the queue message of a matched queued job", () => {
    // Arrange
    const payload = workflowJobQueuedFixture();

    // Act
    const decision = routeDelivery({ ...base, event: "workflow_job", payload });

    // Assert
    expect(decision).toEqual({
      kind: "enqueue",
      pool: "linux",
      job: {
        version: 1,
        deliveryId: "0b989ba4-242f-11e5-81e1-c7b6966d2516",
        pool: "linux",
        jobId: 29679449632,
        runId: 10358102281,
        runAttempt: 1,
        repository: "octo-org/example-workflow",
        owner: "octo-org",
        installationId: 52103487,
        labels: ["self-hosted", "linux", "x64"],
        headBranch: "main",
        defaultBranch: "main",
        receivedAt: "2024-06-11T14:02:21.000Z",
        visibility: "private",
      },
    });
  });

  describe("admission (who gets a runner)", () => {
    const queued = () => workflowJobQueuedFixture();
    const route = (payload: Record<string, any>, overrides: Partial<Parameters<typeof routeDelivery>[0]> = {}) =>
      routeDelivery({ ...base, event: "workflow_job", payload, ...overrides });

    it.each([
      { name: "an owner not in allowed_owners", admission: { allowedOwners: ["other-org"], allowedRepositories: [] }, reason: "owner", message: "refused: owner octo-org is not in allowed_owners" },
      {
        name: "a repository not in allowed_repositories",
        admission: { allowedOwners: ["octo-org"], allowedRepositories: ["octo-org/other"] },
        reason: "repository",
        message: "refused: repository octo-org/example-workflow is not in allowed_repositories",
      },
    ])("fails when the job comes from $name", ({ admission, reason, message }) => {
      expect(route(queued(), { admission })).toEqual({ kind: "refuse", reason, message });
    });

    it("fails for progress of a refused owner too, so nothing is written to the ledger", () => {
      const payload = workflowJobFixture("in_progress");
      expect(route(payload, { admission: { allowedOwners: ["other-org"], allowedRepositories: [] } })).toMatchObject({ kind: "refuse", reason: "owner" });
    });

    it("admits owners and repositories case-insensitively", () => {
      const admission = { allowedOwners: ["Octo-Org"], allowedRepositories: ["OCTO-ORG/Example-Workflow"] };
      expect(route(queued(), { admission })).toMatchObject({ kind: "enqueue", pool: "linux" });
    });

    it("fails when a public repository's job matches a pool without allow_public_repositories", () => {
      // Arrange: the real public-repository shape (`private: false`, `visibility: "public"`)
      const payload = queued();
      Object.assign(payload.repository, { private: false, visibility: "public" });

      // Act / Assert
      expect(route(payload)).toEqual({
        kind: "refuse",
        reason: "visibility",
        message: "refused: repository octo-org/example-workflow is public and the pool does not set allow_public_repositories",
      });
    });

    it("queues a public repository's job on a pool that opts in, carrying the visibility to scale-up", () => {
      const payload = queued();
      Object.assign(payload.repository, { private: false, visibility: "public" });
      const open = { ...pools, linux: { labels: ["linux", "x64"], allowPublicRepositories: true } };
      expect(route(payload, { pools: open })).toMatchObject({ kind: "enqueue", job: { visibility: "public" } });
    });

    it("treats a repository without visibility as public unless private is true (older payloads)", () => {
      const payload = queued();
      delete payload.repository.visibility;
      expect(route(payload)).toMatchObject({ kind: "enqueue", job: { visibility: "private" } });
      payload.repository.private = false;
      expect(route(payload)).toMatchObject({ kind: "refuse", reason: "visibility" });
    });
  });

  describe("replay bound (webhook_max_job_age_seconds)", () => {
    const createdAt = Date.parse("2024-06-11T14:02:20Z");
    const at = (secondsAfterCreation: number) => new Date(createdAt + secondsAfterCreation * 1000);

    it("queues a queued delivery exactly at the bound", () => {
      expect(routeDelivery({ ...base, event: "workflow_job", payload: workflowJobQueuedFixture(), receivedAt: at(3600) })).toMatchObject({ kind: "enqueue" });
    });

    it("fails when the job was created longer ago than the bound", () => {
      expect(routeDelivery({ ...base, event: "workflow_job", payload: workflowJobQueuedFixture(), receivedAt: at(3601) })).toEqual({
        kind: "refuse",
        reason: "stale",
        message: "refused: job created 3601 s ago, more than webhook_max_job_age_seconds (3600 s)",
      });
    });

    it.each([{ value: undefined }, { value: "yesterday" }, { value: 1718114540 }])("fails when workflow_job.created_at is $value", ({ value }) => {
      const payload = workflowJobQueuedFixture();
      payload.workflow_job.created_at = value;
      expect(routeDelivery({ ...base, event: "workflow_job", payload })).toMatchObject({ kind: "refuse", reason: "stale" });
    });

    it("does not apply to in_progress and completed, which only record progress", () => {
      const payload = workflowJobFixture("completed");
      expect(routeDelivery({ ...base, event: "workflow_job", payload, receivedAt: at(86_400) })).toMatchObject({ kind: "progress" });
    });
  });

  it("defaults a missing run_attempt to 1", () => {
    // Arrange
    const payload = workflowJobQueuedFixture();
    delete payload.workflow_job.run_attempt;

    // Act
    const decision = routeDelivery({ ...base, event: "workflow_job", payload });

    // Assert
    expect(decision.kind === "enqueue" && decision.job.runAttempt).toBe(1);
  });

  it.each([
    { field: "installation", mutate: (payload: Record<string, any>) => delete payload.installation },
    { field: "installation.id", mutate: (payload: Record<string, any>) => (payload.installation.id = 0) },
    { field: "workflow_job.id", mutate: (payload: Record<string, any>) => (payload.workflow_job.id = "29679449632") },
    { field: "repository.full_name", mutate: (payload: Record<string, any>) => delete payload.repository.full_name },
    { field: "workflow_job.labels", mutate: (payload: Record<string, any>) => (payload.workflow_job.labels = "linux") },
  ])("fails when $field is missing or malformed", ({ field, mutate }) => {
    // Arrange
    const payload = workflowJobQueuedFixture();
    mutate(payload);

    // Act / Assert
    expect(() => routeDelivery({ ...base, event: "workflow_job", payload })).toThrow(
      expect.objectContaining({ constructor: InvalidWorkflowJobError, field }),
    );
  });
});

describe("routeDelivery for job progress", () => {
  const receivedAt = new Date("2024-06-11T14:05:41.000Z");
  const base = { deliveryId: "0b989ba4-242f-11e5-81e1-c7b6966d2516", pools, receivedAt, event: "workflow_job", admission: ANY_OWNER, maxJobAgeSeconds: 3600 };
  const facts = {
    pool: "linux",
    jobId: 29679449632,
    runId: 10358102281,
    runAttempt: 1,
    repository: "octo-org/example-workflow",
    owner: "octo-org",
    installationId: 52103487,
    labels: ["self-hosted", "linux", "x64"],
    headBranch: "main",
    defaultBranch: "main",
  };

  it("reports in_progress with the runner that took the job", () => {
    // Arrange
    const payload = workflowJobFixture("in_progress", { runnerName: "sr-i-0aaaaaaaaaaaaaaa1" });

    // Act
    const decision = routeDelivery({ ...base, payload });

    // Assert
    expect(decision).toEqual({ kind: "progress", progress: { action: "in_progress", ...facts, runnerName: "sr-i-0aaaaaaaaaaaaaaa1", conclusion: undefined, timeToRunnerSeconds: 50 } });
  });

  it.each(["success", "failure", "cancelled", "skipped"])("reports completed with conclusion %s", (conclusion) => {
    // Arrange
    const payload = workflowJobFixture("completed", { conclusion, runnerName: "sr-i-0aaaaaaaaaaaaaaa1" });

    // Act
    const decision = routeDelivery({ ...base, payload });

    // Assert
    expect(decision).toEqual({ kind: "progress", progress: { action: "completed", ...facts, runnerName: "sr-i-0aaaaaaaaaaaaaaa1", conclusion } });
  });

  it.each([
    { name: "null", value: null },
    { name: "empty", value: "" },
  ])("reports no runner when runner_name is $name (cancelled before any runner took it)", ({ value }) => {
    // Arrange
    const payload = workflowJobFixture("completed", { conclusion: "cancelled" });
    payload.workflow_job.runner_name = value;

    // Act
    const decision = routeDelivery({ ...base, payload });

    // Assert
    expect(decision.kind === "progress" && decision.progress.runnerName).toBeUndefined();
  });

  it("carries the job's branch and the repository's default branch, for the build cache", () => {
    // Arrange
    const payload = workflowJobFixture("in_progress", { runnerName: "sr-i-0aaaaaaaaaaaaaaa1" });
    payload.workflow_job.head_branch = "feature/cache";
    payload.repository.default_branch = "trunk";

    // Act
    const decision = routeDelivery({ ...base, payload });

    // Assert
    expect(decision).toMatchObject({ kind: "progress", progress: { headBranch: "feature/cache", defaultBranch: "trunk" } });
  });

  it("leaves the branch facts out when the payload has none (older payloads)", () => {
    // Arrange
    const payload = workflowJobQueuedFixture() as Record<string, any>;
    delete payload.workflow_job.head_branch;
    payload.repository.default_branch = "";

    // Act
    const decision = routeDelivery({ ...base, event: "workflow_job", receivedAt: new Date("2024-06-11T14:02:21.000Z"), payload });

    // Assert
    expect(decision.kind).toBe("enqueue");
    expect(decision.kind === "enqueue" && "headBranch" in decision.job).toBe(false);
    expect(decision.kind === "enqueue" && "defaultBranch" in decision.job).toBe(false);
  });

  it("routes progress without X-GitHub-Delivery (only queued jobs need it for the message)", () => {
    expect(routeDelivery({ ...base, deliveryId: undefined, payload: workflowJobFixture("in_progress") }).kind).toBe("progress");
  });

  it("fails when a queued job comes without X-GitHub-Delivery", () => {
    expect(() => routeDelivery({ ...base, deliveryId: undefined, payload: workflowJobQueuedFixture() })).toThrow(
      expect.objectContaining({ constructor: InvalidWorkflowJobError, field: "X-GitHub-Delivery" }),
    );
  });

  it("ignores progress of a job no pool serves", () => {
    // Arrange
    const payload = workflowJobFixture("completed");
    payload.workflow_job.labels = ["ubuntu-latest"];

    // Act / Assert
    expect(routeDelivery({ ...base, payload })).toEqual({ kind: "ignore", message: "ignored: no pool matches labels [ubuntu-latest]" });
  });

  it.each([
    { field: "workflow_job.id", mutate: (payload: Record<string, any>) => delete payload.workflow_job.id },
    { field: "workflow_job.run_attempt", mutate: (payload: Record<string, any>) => (payload.workflow_job.run_attempt = 0) },
    { field: "installation", mutate: (payload: Record<string, any>) => delete payload.installation },
    { field: "repository.owner.login", mutate: (payload: Record<string, any>) => (payload.repository.owner.login = "") },
  ])("fails when progress lacks $field", ({ field, mutate }) => {
    // Arrange
    const payload = workflowJobFixture("in_progress");
    mutate(payload);

    // Act / Assert
    expect(() => routeDelivery({ ...base, payload })).toThrow(expect.objectContaining({ constructor: InvalidWorkflowJobError, field }));
  });
});
