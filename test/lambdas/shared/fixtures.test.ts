import { describe, expect, it } from "vitest";
import {
  appInstallation,
  assertMatchesOpenApi,
  assertMatchesWebhookSchema,
  installationToken,
  jitConfigResponse,
  runnersPage,
  validationFailed,
  workflowJobFixture,
  workflowJobQueuedFixture,
} from "../../helpers/github.js";

describe("GitHub fixtures and fakes follow GitHub's OpenAPI description", () => {
  it("the workflow_job queued fixture matches webhook-workflow-job-queued", () => {
    expect(() => assertMatchesWebhookSchema("webhook-workflow-job-queued", workflowJobQueuedFixture())).not.toThrow();
  });

  it.each(["waiting", "in_progress", "completed"] as const)("the workflow_job %s payloads follow their webhook schema", (action) => {
    expect(() => workflowJobFixture(action, { conclusion: "cancelled" })).not.toThrow();
  });

  it("fails when the fixture loses a required field", () => {
    // Arrange
    const payload = workflowJobQueuedFixture();
    delete payload.workflow_job.run_id;

    // Act / Assert
    expect(() => assertMatchesWebhookSchema("webhook-workflow-job-queued", payload)).toThrow(/run_id/);
  });

  it("the fake responses match their operations", () => {
    expect(() => installationToken()).not.toThrow();
    expect(() => jitConfigResponse({ id: 1, name: "sr-i-0123456789abcdef0" })).not.toThrow();
    expect(() => jitConfigResponse({ id: 1, name: "r" }, "/repos/{owner}/{repo}/actions/runners/generate-jitconfig")).not.toThrow();
    expect(() => runnersPage([{ id: 1, name: "r", busy: true, status: "online" }], 1)).not.toThrow();
    expect(() => validationFailed("Bad request - Runner is busy", "/orgs/{org}/actions/runners/{runner_id}")).not.toThrow();
    expect(() => appInstallation({ id: 7, appId: 654321, org: "octo-org" })).not.toThrow();
    expect(() => appInstallation({ id: 7, appId: 654321, org: "octo-org", path: "/repos/{owner}/{repo}/installation" })).not.toThrow();
  });

  it("resolves concrete paths to their templates", () => {
    expect(() => assertMatchesOpenApi("GET", "/repos/octo-org/app/actions/runners?per_page=100&page=2", 200, runnersPage([], 0))).not.toThrow();
  });

  it.each([
    { name: "a jitconfig without encoded_jit_config", method: "POST", path: "/orgs/{org}/actions/runners/generate-jitconfig", status: 201, body: { runner: { id: 1 } } },
    { name: "a runner list whose busy flag is a string", method: "GET", path: "/orgs/{org}/actions/runners", status: 200, body: { total_count: 1, runners: [{ id: 1, name: "r", os: "linux", status: "online", busy: "no", labels: [] }] } },
    { name: "a status the operation never answers", method: "POST", path: "/app/installations/{installation_id}/access_tokens", status: 200, body: {} },
    { name: "an installation without its account", method: "GET", path: "/orgs/{org}/installation", status: 200, body: { id: 7, app_id: 654321 } },
    { name: "an operation GitHub does not have", method: "PUT", path: "/orgs/{org}/actions/runners", status: 200, body: {} },
  ])("fails when the fake is $name", ({ method, path, status, body }) => {
    expect(() => assertMatchesOpenApi(method, path, status, body)).toThrow();
  });
});
