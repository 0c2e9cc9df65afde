import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jobMessage, lambdaContext, sqsEvent, sqsRecord } from "../../helpers/aws.js";
import { appInstallation, gitHubFake, installationToken, jitConfigResponse } from "../../helpers/github.js";
import { scaleUpEnvFixture } from "../../helpers/scale-up-env.js";
import { scaleUpHandlerOnDoubles } from "../../helpers/scale-up-handler.js";

// Two GitHub Apps installed on the same organization raise the API ceiling: JIT configs alternate
// between them. The additional App finds its own installation once (GET /orgs/{org}/installation).

/** The function's environment as the stack renders it, handed to the factory (never to process.env). */
const ENV = scaleUpEnvFixture({
  env: { ADDITIONAL_GITHUB_APPS: JSON.stringify([{ appId: 654321, privateKeyParameter: "/sr/github-app-2-key" }]) },
  pools: { linux: { maxRunners: 10 } },
});
const { db, handler, setUp, tearDown } = await scaleUpHandlerOnDoubles(ENV);

const ORG_JIT = "/orgs/octo-org/actions/runners/generate-jitconfig";
const PRIMARY_INSTALLATION = 52103487;
const SECOND_INSTALLATION = 61000001;

/** Who asked for each JIT config: the runner name and the installation token it authenticated with. */
const jitBy: Array<{ name: string; token: string }> = [];

function invoke(count: number) {
  const messages = Array.from({ length: count }, () => jobMessage({ receivedAt: new Date().toISOString(), labels: ["linux"] }));
  return handler(sqsEvent(messages.map((message) => sqsRecord(message))), lambdaContext("sr-scale-up"));
}

describe("scale-up handler with two GitHub Apps", () => {
  let github: ReturnType<typeof gitHubFake>;

  beforeAll(async () => {
    await setUp();
    github = gitHubFake();
    github.scope.get("/orgs/octo-org/installation").reply(200, appInstallation({ id: SECOND_INSTALLATION, appId: 654321, org: "octo-org" }));
    github.scope.post(`/app/installations/${PRIMARY_INSTALLATION}/access_tokens`).reply(201, installationToken("ghs_primary"));
    github.scope.post(`/app/installations/${SECOND_INSTALLATION}/access_tokens`).reply(201, installationToken("ghs_second"));
    let runnerId = 0;
    github.scope
      .post(ORG_JIT)
      .times(6)
      .reply(async (request: Request) => {
        const body = (await request.json()) as { name: string };
        jitBy.push({ name: body.name, token: String(request.headers.get("authorization")) });
        runnerId += 1;
        return [201, JSON.stringify(jitConfigResponse({ id: runnerId, name: body.name })), { "content-type": "application/json" }];
      });
  });

  afterAll(tearDown);

  it("alternates JIT configs between the Apps and looks the additional App's installation up once", async () => {
    // Act
    const first = await invoke(4);
    const second = await invoke(2);

    // Assert
    expect([first.batchItemFailures, second.batchItemFailures]).toEqual([[], []]);
    expect(github.scope.isDone()).toBe(true);
    const calls = github.requests.map((request) => `${request.method} ${request.path}`);
    expect(calls.filter((call) => call === "GET /orgs/octo-org/installation")).toHaveLength(1);
    expect(calls.filter((call) => call.endsWith("/access_tokens")).sort()).toEqual([
      `POST /app/installations/${PRIMARY_INSTALLATION}/access_tokens`,
      `POST /app/installations/${SECOND_INSTALLATION}/access_tokens`,
    ]);
    // Instances come in batch order, so sorted instance ids give each batch's runners in order.
    const items = (await db.items("sr-runners")).sort((a, b) => String(a.instanceId).localeCompare(String(b.instanceId)));
    const tokens = items.map((item) => jitBy.find((entry) => entry.name === item.runnerName)?.token);
    expect(new Set(tokens)).toEqual(new Set(["token ghs_primary", "token ghs_second"]));
    const [a, b] = tokens;
    expect(a).not.toBe(b);
    expect(tokens.slice(0, 4)).toEqual([a, b, a, b]);
    expect(tokens[4]).not.toBe(tokens[5]);
  });
});
