import { clearCaches } from "@aws-lambda-powertools/parameters";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import nock from "nock";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { rerunClients } from "../../../lambdas/reconcile/adapters/rerun-app.js";
import { reconcileConfigFromEnv } from "../../../lambdas/reconcile/config.js";
import { RECONCILE_ENV } from "../../../contracts/reconcile.js";
import { sampleEnv } from "../../helpers/contracts.js";
import { installationClientProvider, rerunWorkflowJob } from "../../../lambdas/shared/index.js";
import type { GitHubAppConfig } from "../../../lambdas/shared/index.js";
import { appInstallation, generateAppPrivateKey, gitHubFake, installationToken } from "../../helpers/github.js";
import { quietPowertools } from "../../helpers/powertools.js";

// Finding 6 of issue 18: re-runs (Actions: write) may go through a separate, optional App, so the
// runner App needs no Actions permission. The reconciler's re-run call uses that App's token when set.

quietPowertools();
const ssm = mockClient(SSMClient);
const APP: GitHubAppConfig = { appId: 123456, privateKeyParameter: "/sr/github-app-key", apiUrl: "https://api.github.com", additionalApps: [] };
const RERUN_APP = { appId: 777001, privateKeyParameter: "/sr/github-app/rerun-private-key" };
const RUNNER_INSTALLATION = 52103487;
const RERUN_INSTALLATION = 70000001;
const REPOSITORY = "octo-org/octo-repo";

/** The authorization header each re-run request carried. */
let rerunAuth: string[];
let github: ReturnType<typeof gitHubFake>;

beforeAll(() => {
  nock.disableNetConnect();
  ssm.on(GetParameterCommand, { Name: APP.privateKeyParameter }).resolves({ Parameter: { Name: APP.privateKeyParameter, Type: "SecureString", Value: generateAppPrivateKey() } });
  ssm.on(GetParameterCommand, { Name: RERUN_APP.privateKeyParameter }).resolves({ Parameter: { Name: RERUN_APP.privateKeyParameter, Type: "SecureString", Value: generateAppPrivateKey() } });
});

beforeEach(() => {
  clearCaches();
  rerunAuth = [];
  github = gitHubFake();
  github.scope.post(`/app/installations/${RUNNER_INSTALLATION}/access_tokens`).optionally().reply(201, installationToken("ghs_runner_app"));
  github.scope.post(`/app/installations/${RERUN_INSTALLATION}/access_tokens`).optionally().reply(201, installationToken("ghs_rerun_app"));
  github.scope.get(`/repos/${REPOSITORY}/installation`).optionally().reply(200, appInstallation({ id: RERUN_INSTALLATION, appId: RERUN_APP.appId, org: "octo-org" }));
  github.scope.post(`/repos/${REPOSITORY}/actions/jobs/42/rerun`).reply(async (request: Request) => {
    rerunAuth.push(String(request.headers.get("authorization")));
    return [201, "{}", { "content-type": "application/json" }];
  });
});

afterEach(() => {
  nock.cleanAll();
});

afterAll(() => {
  nock.enableNetConnect();
  ssm.restore();
});

describe("re-runs through the optional re-run App", () => {
  it("requests the re-run with the re-run App's installation token, found on the job's repository, when that App is configured", async () => {
    // Arrange
    const clients = rerunClients(APP, RERUN_APP, installationClientProvider(APP));

    // Act
    await rerunWorkflowJob(await clients(RUNNER_INSTALLATION, REPOSITORY), REPOSITORY, 42);

    // Assert
    expect(rerunAuth).toEqual(["token ghs_rerun_app"]);
    const calls = github.requests.map((request) => `${request.method} ${request.path}`);
    expect(calls).toContain(`GET /repos/${REPOSITORY}/installation`);
    expect(calls).not.toContain(`POST /app/installations/${RUNNER_INSTALLATION}/access_tokens`);
  });

  it("requests the re-run with the runner App's installation of the job when no re-run App is configured", async () => {
    // Arrange
    const clients = rerunClients(APP, undefined, installationClientProvider(APP));

    // Act
    await rerunWorkflowJob(await clients(RUNNER_INSTALLATION, REPOSITORY), REPOSITORY, 42);

    // Assert
    expect(rerunAuth).toEqual(["token ghs_runner_app"]);
    expect(github.requests.map((request) => `${request.method} ${request.path}`)).not.toContain(`GET /repos/${REPOSITORY}/installation`);
  });
});

describe("the re-run App's configuration", () => {
  it("takes the id and the key parameter together, and neither means the runner App re-runs", () => {
    const both = reconcileConfigFromEnv(sampleEnv(RECONCILE_ENV, { RERUN_GITHUB_APP_ID: "777001", RERUN_GITHUB_APP_PRIVATE_KEY_SSM_PARAMETER_NAME: RERUN_APP.privateKeyParameter }));
    expect(both.rerunApp).toEqual(RERUN_APP);
    expect(reconcileConfigFromEnv(sampleEnv(RECONCILE_ENV)).rerunApp).toBeUndefined();
    expect(() => reconcileConfigFromEnv(sampleEnv(RECONCILE_ENV, { RERUN_GITHUB_APP_ID: "777001" }))).toThrow("must be set together");
  });
});
