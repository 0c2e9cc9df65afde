import { clearCaches } from "@aws-lambda-powertools/parameters";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import nock from "nock";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";

vi.hoisted(() => {
  process.env.AWS_REGION = "eu-west-1";
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
});

// Enterprise scope (runner_scope = "enterprise"): the runner endpoints under /enterprises/{enterprise},
// called with the enterprise token from SSM, whatever the App installation. GitHub is nock; every
// answer is checked against GitHub's description (the GHEC operations: test/helpers/openapi.ts).

import { runnerIdByName } from "../../../lambdas/spot-interruption/adapters/github.js";
import {
  ConfigError,
  clearOctokitCache,
  deleteRunner,
  generateJitConfig,
  gitHubAppConfigFromEnv,
  listRunners,
  runnerClientProvider,
} from "../../../lambdas/shared/index.js";
import type { GitHubAppConfig, GitHubClient } from "../../../lambdas/shared/index.js";
import { gitHubFake, jitConfigResponse, replyFromRequest, runnersPage, validationFailed } from "../../helpers/github.js";

const TOKEN = "ghp_16C7e42F292c6912E7710c838347Ae178B4a";
const ENTERPRISE = "octo-enterprise";
const RUNNERS = `/enterprises/${ENTERPRISE}/actions/runners`;
const target = { scope: "enterprise", owner: ENTERPRISE } as const;
const app: GitHubAppConfig = gitHubAppConfigFromEnv({
  GITHUB_APP_ID: "42",
  GITHUB_APP_PRIVATE_KEY_SSM_PARAMETER_NAME: "/sr/github-app-key",
  GITHUB_API_URL: "https://api.github.com",
  ENTERPRISE_SLUG: ENTERPRISE,
  ENTERPRISE_TOKEN_SSM_PARAMETER_NAME: "/sr/enterprise-token",
});
const ssm = mockClient(SSMClient);
const noInstallations = async (): Promise<GitHubClient> => {
  throw new Error("an App installation was asked in enterprise scope");
};

/** The enterprise client, as scale-up, reconcile and spot-interruption build it. */
function enterpriseClient(installationId = 52103487): Promise<GitHubClient> {
  return runnerClientProvider(app, "enterprise", noInstallations)(installationId);
}

beforeAll(() => {
  nock.disableNetConnect();
});

beforeEach(() => {
  clearCaches();
  clearOctokitCache();
  ssm.reset();
  ssm.on(GetParameterCommand, { Name: "/sr/enterprise-token" }).resolves({ Parameter: { Name: "/sr/enterprise-token", Type: "SecureString", Value: TOKEN } });
});

afterEach(() => {
  nock.cleanAll();
});

afterAll(() => {
  nock.enableNetConnect();
  ssm.restore();
});

describe("enterprise runner endpoints", () => {
  it("lists every page of the enterprise's runners with the enterprise token", async () => {
    // Arrange
    const github = gitHubFake();
    const first = Array.from({ length: 100 }, (_, index) => ({ id: index + 1, name: `sr-i-${index}` }));
    github.scope.matchHeader("authorization", `token ${TOKEN}`).get(RUNNERS).query({ per_page: "100", page: "1" }).reply(200, runnersPage(first, 101, "/enterprises/{enterprise}/actions/runners"));
    github.scope
      .matchHeader("authorization", `token ${TOKEN}`)
      .get(RUNNERS)
      .query({ per_page: "100", page: "2" })
      .reply(200, runnersPage([{ id: 101, name: "sr-i-last", busy: true }], 101, "/enterprises/{enterprise}/actions/runners"));

    // Act
    const runners = await listRunners(await enterpriseClient(), target);

    // Assert
    expect(runners).toHaveLength(101);
    expect(runners[100]).toEqual({ id: 101, name: "sr-i-last", status: "offline", busy: true });
    expect(github.requests.map((request) => request.path)).toEqual([`${RUNNERS}?per_page=100&page=1`, `${RUNNERS}?per_page=100&page=2`]);
  });

  it("registers a JIT runner in the pool's enterprise runner group", async () => {
    // Arrange
    const github = gitHubFake();
    github.scope
      .matchHeader("authorization", `token ${TOKEN}`)
      .post(`${RUNNERS}/generate-jitconfig`)
      .reply(replyFromRequest((request) => [201, jitConfigResponse({ id: 7, name: (request.body as { name: string }).name }, "/enterprises/{enterprise}/actions/runners/generate-jitconfig")]));

    // Act
    const config = await generateJitConfig(await enterpriseClient(), target, { name: "sr-i-0aaaaaaaaaaaaaaa1", runnerGroupId: 5, labels: ["linux", "self-hosted"] });

    // Assert
    expect(config.runnerId).toBe(7);
    expect(github.requests).toEqual([
      { method: "POST", path: `${RUNNERS}/generate-jitconfig`, body: { name: "sr-i-0aaaaaaaaaaaaaaa1", runner_group_id: 5, labels: ["linux", "self-hosted"], work_folder: "_work" } },
    ]);
  });

  it("deletes through the enterprise endpoint and reports a busy runner (422) as busy", async () => {
    // Arrange
    const github = gitHubFake();
    github.scope.delete(`${RUNNERS}/9`).reply(204);
    github.scope.delete(`${RUNNERS}/10`).reply(422, validationFailed("Bad request - Runner is busy", "/enterprises/{enterprise}/actions/runners/{runner_id}"));
    github.scope.delete(`${RUNNERS}/11`).reply(404, { message: "Not Found", documentation_url: "https://docs.github.com/rest" });
    const client = await enterpriseClient();

    // Act
    const results = [await deleteRunner(client, target, 9), await deleteRunner(client, target, 10), await deleteRunner(client, target, 11)];

    // Assert
    expect(results).toEqual(["deleted", "busy", "not-found"]);
    expect(github.requests.map((request) => `${request.method} ${request.path}`)).toEqual([`DELETE ${RUNNERS}/9`, `DELETE ${RUNNERS}/10`, `DELETE ${RUNNERS}/11`]);
  });

  it("finds an interrupted runner's id by name at enterprise level (spot-interruption)", async () => {
    // Arrange
    const github = gitHubFake();
    github.scope
      .get(RUNNERS)
      .query({ name: "sr-i-0aaaaaaaaaaaaaaa1", per_page: "100", page: "1" })
      .reply(200, runnersPage([{ id: 31, name: "sr-i-0aaaaaaaaaaaaaaa1" }], 1, "/enterprises/{enterprise}/actions/runners"));

    // Act
    const id = await runnerIdByName(await enterpriseClient(), target, "sr-i-0aaaaaaaaaaaaaaa1");

    // Assert
    expect(id).toBe(31);
  });

  it("uses one client for every installation: GitHub refuses installation tokens at enterprise level", async () => {
    // Act
    const [first, second] = [await enterpriseClient(1), await enterpriseClient(2)];

    // Assert
    expect(second).toBe(first);
    expect(ssm.commandCalls(GetParameterCommand).map((call) => call.args[0].input.Name)).toEqual(["/sr/enterprise-token"]);
  });

  it("keeps the App installations in org scope", async () => {
    // Arrange
    const installations = vi.fn(noInstallations);

    // Act
    const provider = runnerClientProvider(app, "org", installations);

    // Assert
    expect(provider).toBe(installations);
  });

  it("fails when enterprise scope has no enterprise slug or token parameter", () => {
    // Arrange
    const withoutEnterprise = gitHubAppConfigFromEnv({ GITHUB_APP_ID: "42", GITHUB_APP_PRIVATE_KEY_SSM_PARAMETER_NAME: "/k", GITHUB_API_URL: "https://api.github.com", ENTERPRISE_SLUG: ENTERPRISE });

    // Act / Assert
    expect(() => runnerClientProvider(withoutEnterprise, "enterprise", noInstallations)).toThrow(ConfigError);
    expect(() => runnerClientProvider(withoutEnterprise, "enterprise", noInstallations)).toThrow(/ENTERPRISE_TOKEN_SSM_PARAMETER_NAME/);
  });
});
