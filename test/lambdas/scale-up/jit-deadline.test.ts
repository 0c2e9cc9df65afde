import { afterEach, describe, expect, it, vi } from "vitest";
import { SCALE_UP_JIT_CALL_BUDGET_SECONDS } from "../../../contracts/scale-up.js";
import { gitHubRunnerRegistrar } from "../../../lambdas/scale-up/adapters/github.js";
import type { ScaleUpPool } from "../../../lambdas/scale-up/config.js";
import { GitHubDeadlineError, OCTOKIT_DEFAULTS, clearOctokitCache, generateJitConfig, tokenOctokit } from "../../../lambdas/shared/index.js";

// The JIT POST's deadline is the call's budget in scale-up's time plan (time-budget.ts), not the kit's
// general 10 s per attempt: the fault world's slow-GitHub scenario lost every job to the 10 s.

const JIT_ANSWER = { runner: { id: 7, name: "sr-i-1" }, encoded_jit_config: "ZW5jb2RlZA==" };

interface Seen {
  readonly body: unknown;
  readonly signal: AbortSignal | undefined;
}

/** A fetch answering from `answers` in turn ("hang" waits for the request's signal to abort). */
function scriptedFetch(answers: ReadonlyArray<number | "hang">, seen: Seen[]): typeof globalThis.fetch {
  let call = 0;
  return async (_input, init) => {
    const signal = init?.signal ?? undefined;
    seen.push({ body: JSON.parse(String(init?.body)), signal });
    const answer = answers[Math.min(call++, answers.length - 1)];
    if (answer === "hang") {
      // As fetch does: an expired signal fails the request at once.
      if (signal?.aborted === true) throw signal.reason as Error;
      return new Promise((_resolve, reject) => signal?.addEventListener("abort", () => reject(signal.reason as Error)));
    }
    return new Response(JSON.stringify(answer === 201 ? JIT_ANSWER : { message: "Server Error" }), { status: answer, headers: { "content-type": "application/json" } });
  };
}

function client(fetch: typeof globalThis.fetch) {
  return tokenOctokit({ token: "ghp_test", baseUrl: "https://api.github.com", fetch });
}

afterEach(() => {
  vi.restoreAllMocks();
  clearOctokitCache();
});

describe("the JIT configuration deadline", () => {
  it("gives scale-up's JIT POST one deadline of its time budget less the retry's second, for every attempt", async () => {
    // Arrange
    const timeouts = vi.spyOn(AbortSignal, "timeout");
    const seen: Seen[] = [];
    const register = gitHubRunnerRegistrar("sr", "org", async () => client(scriptedFetch([502, 201], seen)));

    // Act
    const config = await register({ instanceId: "i-1", pool: { labels: ["linux"], runnerGroupId: 3 } as unknown as ScaleUpPool, owner: "octo-org", installationId: 1, appId: 42 });

    // Assert: a 5xx is retried once, under the same signal; the body carries no request option.
    expect(config.runnerId).toBe(7);
    expect(timeouts.mock.calls).toEqual([[(SCALE_UP_JIT_CALL_BUDGET_SECONDS - 1) * 1000]]);
    expect(seen).toHaveLength(2);
    expect(seen[1]?.signal).toBe(seen[0]?.signal);
    expect(seen[0]?.body).toEqual({ name: "sr-i-1", runner_group_id: 3, labels: ["linux", "self-hosted"], work_folder: "_work" });
  });

  it("fails once the deadline passes: the retry after it ends at once, and no later retry waits", async () => {
    // Arrange
    const seen: Seen[] = [];

    // Act
    const started = Date.now();
    const failure = await generateJitConfig(client(scriptedFetch(["hang"], seen)), { scope: "org", owner: "octo-org" }, {
      name: "sr-i-2",
      runnerGroupId: 1,
      labels: ["linux"],
      deadlineMs: 3_000,
    }).catch((error: unknown) => error);

    // Assert: one attempt reached GitHub and timed out; the retry a second later never started, and
    // the plugin's further waits (4 and 9 s) never came.
    expect(failure).toBeInstanceOf(GitHubDeadlineError);
    expect(String((failure as Error).message)).toContain("generate-jitconfig for sr-i-2");
    expect(seen).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(9_000);
  });

  it("keeps the kit's per-attempt default for a JIT call without a deadline (other callers)", async () => {
    // Arrange
    const timeouts = vi.spyOn(AbortSignal, "timeout");
    const seen: Seen[] = [];

    // Act
    await generateJitConfig(client(scriptedFetch([201], seen)), { scope: "org", owner: "octo-org" }, { name: "sr-i-3", runnerGroupId: 1, labels: ["linux"] });

    // Assert
    expect(timeouts.mock.calls).toEqual([[OCTOKIT_DEFAULTS.requestTimeoutMs]]);
  });

  it("fails as a plain request error, not a deadline, when GitHub answers an error in time", async () => {
    // Arrange
    const seen: Seen[] = [];

    // Act
    const failure = await generateJitConfig(client(scriptedFetch([409], seen)), { scope: "org", owner: "octo-org" }, { name: "sr-i-4", runnerGroupId: 1, labels: ["linux"], deadlineMs: 3_000 }).catch((error: unknown) => error);

    // Assert
    expect(failure).not.toBeInstanceOf(GitHubDeadlineError);
    expect((failure as { status?: number }).status).toBe(409);
  });
});

describe("a kept instance's registration", () => {
  const pool = { labels: ["linux"], runnerGroupId: 3 } as unknown as ScaleUpPool;

  /** GitHub by route: the listing by name answers `listed`; every call is recorded with its URL. */
  function routedFetch(listed: ReadonlyArray<{ id: number; name: string }>, calls: string[]): typeof globalThis.fetch {
    return async (input, init) => {
      const url = new URL(String(input));
      calls.push(`${init?.method ?? "GET"} ${url.pathname}${url.search}`);
      if (init?.method === "DELETE") return new Response(null, { status: 204 });
      if (init?.method === "POST") return new Response(JSON.stringify(JIT_ANSWER), { status: 201, headers: { "content-type": "application/json" } });
      const runners = listed.map((runner) => ({ ...runner, os: "linux", status: "offline", busy: false, labels: [] }));
      return new Response(JSON.stringify({ total_count: runners.length, runners }), { status: 200, headers: { "content-type": "application/json" } });
    };
  }

  it("deletes the registration an earlier timed-out POST left under its name, then asks again", async () => {
    // Arrange
    const calls: string[] = [];
    const register = gitHubRunnerRegistrar("sr", "org", async () => client(routedFetch([{ id: 41, name: "sr-i-1" }], calls)));

    // Act
    const config = await register({ instanceId: "i-1", pool, owner: "octo-org", installationId: 1, appId: 42, replaceStale: true });

    // Assert
    expect(config.runnerId).toBe(7);
    expect(calls).toEqual(["GET /orgs/octo-org/actions/runners?name=sr-i-1", "DELETE /orgs/octo-org/actions/runners/41", "POST /orgs/octo-org/actions/runners/generate-jitconfig"]);
  });

  it("asks at once when no registration has the name, and a fresh instance never looks", async () => {
    // Arrange
    const calls: string[] = [];
    const register = gitHubRunnerRegistrar("sr", "org", async () => client(routedFetch([{ id: 41, name: "sr-i-10" }], calls)));

    // Act
    await register({ instanceId: "i-1", pool, owner: "octo-org", installationId: 1, appId: 42, replaceStale: true });
    await register({ instanceId: "i-2", pool, owner: "octo-org", installationId: 1, appId: 42 });

    // Assert: a listed name that merely starts with ours is not ours.
    expect(calls).toEqual(["GET /orgs/octo-org/actions/runners?name=sr-i-1", "POST /orgs/octo-org/actions/runners/generate-jitconfig", "POST /orgs/octo-org/actions/runners/generate-jitconfig"]);
  });

  it("gives the POST the deadline it was given, less the time the lookup took", async () => {
    // Arrange
    const timeouts = vi.spyOn(AbortSignal, "timeout");
    let clock = 1_000;
    const slowLookup: typeof globalThis.fetch = async (input, init) => {
      if (init?.method !== "POST") clock += 4_000;
      return routedFetch([{ id: 41, name: "sr-i-1" }], [])(input, init);
    };
    const register = gitHubRunnerRegistrar("sr", "org", async () => client(slowLookup), () => clock);

    // Act
    await register({ instanceId: "i-1", pool, owner: "octo-org", installationId: 1, appId: 42, replaceStale: true, deadlineMs: 48_000 });

    // Assert: 4 s for the GET and 4 s for the DELETE come off the 48 s.
    expect(timeouts.mock.calls.at(-1)).toEqual([40_000]);
  });
});
