import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { installInvocationPatches, uninstallInvocationPatches } from "./world/client-patches.js";
import { INVOCATION_HEADER, invocationAwareRandom, runInvocation, seedInvocations } from "./world/invocations.js";
import type { Invocation } from "./world/invocations.js";
import { CallScheduler } from "./world/scheduler.js";
import type { InterleaveOptions } from "./world/scheduler.js";

// The world's call scheduler (world/scheduler.ts): invocations' requests pass one at a time, due first,
// with the clock moving to each.

function record(req: IncomingMessage, res: ServerResponse): void {
  seen.push({ who: String(req.headers[INVOCATION_HEADER]).split("-")[0] as string, path: req.url ?? "", at: Date.now() });
  res.end("ok");
}
const server = createServer(record);
let seen: Array<{ who: string; path: string; at: number }> = [];
let url = "";

beforeAll(async () => {
  installInvocationPatches();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  uninstallInvocationPatches();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(0);
  seen = [];
});
afterEach(() => {
  vi.useRealTimers();
});

/** Two invocations, x and y, each making three calls in turn, under a scheduler with `options`. */
async function schedule(options: InterleaveOptions): Promise<{ order: string; scheduler: CallScheduler; invocations: Invocation[] }> {
  seen = [];
  server.removeAllListeners("request");
  server.on("request", record);
  const scheduler = new CallScheduler(options);
  scheduler.gate(server, "test");
  const invocations: Invocation[] = [];
  const run = (fn: string) =>
    runInvocation(
      fn,
      30_000,
      async () => {
        for (const path of ["/a", "/b", "/c"]) await (await fetch(`${url}${path}`)).text();
      },
      (invocation) => {
        invocations.push(invocation);
        scheduler.begin(invocation);
      },
    ).then((result) => scheduler.end(result.invocation));
  const both = Promise.all([run("x"), run("y")]);
  await scheduler.runUntil(Number.MAX_SAFE_INTEGER, async () => undefined);
  await both;
  return { order: seen.map((call) => `${call.who}${call.path}`).join(" "), scheduler, invocations };
}

describe("CallScheduler", () => {
  it("lets calls through one at a time as the clock reaches them, each invocation's in its own order", async () => {
    // Act
    const { scheduler } = await schedule({ seed: 1 });

    // Assert
    expect(seen).toHaveLength(6);
    expect(seen.map((call) => call.at)).toEqual([...seen.map((call) => call.at)].sort((a, b) => a - b));
    expect(seen[0]?.at).toBeGreaterThanOrEqual(20);
    for (const who of ["x", "y"]) expect(seen.filter((call) => call.who === who).map((call) => call.path)).toEqual(["/a", "/b", "/c"]);
    expect(scheduler.stats).toMatchObject({ calls: 6, maxLive: 2, timedOut: 0 });
  });

  it("repeats a seed's schedule, and other seeds give other interleavings", async () => {
    // Act
    const orders: string[] = [];
    for (const seed of [1, 1, 2, 3, 4, 5, 6]) orders.push((await schedule({ seed })).order);

    // Assert
    expect(orders[1]).toBe(orders[0]);
    expect(new Set(orders).size).toBeGreaterThan(1);
    expect(orders.some((order) => !/^(x\/\w ){3}|^(y\/\w ){3}/.test(order))).toBe(true);
  });

  it("kills an invocation whose next call is due after its timeout", async () => {
    // Act: every call takes 20 s, the function timeout is 30 s.
    const { scheduler, invocations } = await schedule({ seed: 1, callMs: [20_000, 20_000] });

    // Assert: the second call of each is due at 40 s.
    expect(scheduler.stats.timedOut).toBe(2);
    expect(invocations.map((invocation) => invocation.killed)).toEqual([expect.stringMatching(/^timeout/), expect.stringMatching(/^timeout/)]);
  });

  it("in lockstep moves no clock and lets calls of one instant through in turns, first started first", async () => {
    // Act
    const { order, scheduler } = await schedule({ seed: 1, lockstep: true });

    // Assert: at one instant, in turns, x (started first) first in each.
    expect(seen.every((call) => call.at === 0)).toBe(true);
    expect(order).toBe("x/a y/a x/b y/b x/c y/c");
    expect(scheduler.stats.calls).toBe(6);
  });
});

describe("seeded invocations", () => {
  afterEach(() => seedInvocations(undefined));

  it("give each invocation its own Math.random stream, whatever the order they draw in", async () => {
    // Arrange
    const random = invocationAwareRandom(() => 0.5);
    const draws = async (order: "x first" | "y first"): Promise<Record<string, number[]>> => {
      seedInvocations(42);
      const got: Record<string, number[]> = { x: [], y: [] };
      let letGo: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (letGo = resolve));
      const run = (fn: "x" | "y", wait: boolean) =>
        runInvocation(fn, 30_000, async () => {
          if (wait) await gate;
          got[fn]?.push(random(), random());
          if (!wait) letGo();
        });
      await Promise.all(order === "x first" ? [run("x", false), run("y", true)] : [run("x", true), run("y", false)]);
      return got;
    };

    // Act
    const a = await draws("x first");
    const b = await draws("y first");

    // Assert: the same draws per invocation either way; outside an invocation, the world's own stream.
    expect(b).toEqual(a);
    expect(a.x).not.toEqual(a.y);
    expect(random()).toBe(0.5);
  });
});
