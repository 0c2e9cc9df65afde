import { beforeEach, describe, expect, it } from "vitest";
import { SCALE_UP_FINISH_MARGIN_SECONDS } from "../../../contracts/scale-up.js";
import { jobKey } from "../../../lambdas/libs/ledger/phases.js";
import type { RunnerRegistrationRequest } from "../../../lambdas/scale-up/adapters/github.js";
import { processBatch } from "../../../lambdas/scale-up/scale-up.js";
import type { ScaleUpDeps } from "../../../lambdas/scale-up/scale-up.js";
import { BASE_JIT_DEADLINE_MS } from "../../../lambdas/scale-up/time-budget.js";
import { GitHubDeadlineError, GitHubRequestError } from "../../../lambdas/shared/index.js";
import { quietPowertools } from "../../helpers/powertools.js";
import { CONFIG, NOW, jitOf, job, record, world } from "../../helpers/scale-up-world.js";
import type { World } from "../../helpers/scale-up-world.js";

// A GitHub slower than the JIT POST's deadline (docs/reliability.md, "A slow GitHub"): the instance
// stays with the job's claim, and the next attempt deletes any late registration and waits longer.

quietPowertools();

const REMAINING_MS = 59_000;
const LATER = new Date(NOW.getTime() + (CONFIG.claimLeaseSeconds + 1) * 1000);

let w: World;
let asked: RunnerRegistrationRequest[];

/** The memory world with a registrar answering each request with `answer` in turn, and 59 s left. */
function deps(answers: Array<"ok" | Error>, now = NOW): ScaleUpDeps {
  return {
    ...w.deps,
    now: () => now,
    remainingMs: () => REMAINING_MS,
    registerRunner: async (request) => {
      asked.push(request);
      const answer = answers.shift() ?? "ok";
      if (answer !== "ok") throw answer;
      w.registered.push(request.instanceId);
      return { runnerId: 1000 + w.registered.length, encodedJitConfig: jitOf(request.instanceId) };
    },
  };
}

const timedOut = () => new GitHubDeadlineError("generate-jitconfig for sr-i-1", undefined);
const conflict = () => new GitHubRequestError("generate-jitconfig for sr-i-1", 409);

beforeEach(() => {
  w = world();
  asked = [];
});

describe("a JIT POST that outlives its deadline", () => {
  it("keeps the instance with the claim for the next attempt instead of terminating it", async () => {
    // Arrange
    const j = job();

    // Act
    const outcome = await processBatch([record(j)], deps([timedOut()]));

    // Assert: a fresh instance's deadline; nothing terminated; the instance recorded on the claim and
    // the message back after the claim's lease.
    expect(asked.map((request) => [request.deadlineMs, request.replaceStale])).toEqual([[BASE_JIT_DEADLINE_MS, undefined]]);
    expect(outcome.launched).toBe(0);
    expect(w.terminated).toEqual([]);
    expect(w.table.items.get(jobKey(j))).toMatchObject({ phase: "launching", claimInstanceId: w.launched[0] });
    expect(w.deferred.get(`rh-${j.jobId}`)).toBe(CONFIG.claimLeaseSeconds + 1);
  });

  it("registers the kept instance on the takeover with a longer deadline, replacing a late registration", async () => {
    // Arrange
    const j = job();
    await processBatch([record(j)], deps([timedOut()]));

    // Act
    const outcome = await processBatch([record(j, 2)], deps(["ok"], LATER));

    // Assert: no second instance; the deadline doubled, capped by the time left less the margin.
    expect(outcome.launched).toBe(1);
    expect(w.launched).toHaveLength(1);
    expect(asked[1]).toMatchObject({ instanceId: w.launched[0], replaceStale: true, deadlineMs: REMAINING_MS - SCALE_UP_FINISH_MARGIN_SECONDS * 1000 });
    expect(w.table.items.get(jobKey(j))).toMatchObject({ phase: "launched", instanceId: w.launched[0] });
  });

  it("keeps a kept instance again when its name is still registered (409), and terminates a fresh one's", async () => {
    // Arrange
    const kept = job();
    const fresh = job();
    await processBatch([record(kept)], deps([timedOut()]));

    // Act
    await processBatch([record(kept, 2)], deps([conflict()], LATER));
    const keptAgain = w.deferred.get(`rh-${kept.jobId}`);
    await processBatch([record(fresh)], deps([conflict()], LATER));

    // Assert
    expect(keptAgain).toBe(CONFIG.claimLeaseSeconds + 1);
    expect(w.launched).toHaveLength(2);
    expect(w.terminated).toEqual([w.launched[1]]);
    expect(w.table.items.get(jobKey(kept))).toMatchObject({ phase: "launching", claimInstanceId: w.launched[0] });
  });
});
