import { describe, expect, it } from "vitest";
import { formatFigure, scopeTarget, type BenchGroup, type Figure } from "../../bench/figures.js";
import { runGroups } from "../../bench/run-groups.js";

const figure = (id: string, target?: number): Figure => ({ id, label: id, value: 4, unit: "calls", ...(target === undefined ? {} : { target }) });

describe("runGroups: the bench's groups one after another", () => {
  it("records a failing group with its message and still runs the groups after it", async () => {
    const lines: string[] = [];
    const groups: BenchGroup[] = [
      { name: "first", run: async () => [figure("a.one")] },
      { name: "broken", run: async () => Promise.reject(new Error("the child exited 1")) },
      { name: "last", run: async () => [figure("c.three")] },
    ];
    const { figures, failures } = await runGroups(groups, (line) => lines.push(line), {});
    expect(figures.map((f) => f.id)).toEqual(["a.one", "c.three"]);
    expect(failures).toEqual([{ group: "broken", error: "the child exited 1" }]);
    expect(lines.some((line) => line.includes("FAILED: the child exited 1"))).toBe(true);
  });

  it("gives every group the environment the bench started with (a group's endpoints do not reach the next)", async () => {
    const env: NodeJS.ProcessEnv = { PATH: "/bin", AWS_REGION: "eu-west-1" };
    const seen: NodeJS.ProcessEnv[] = [];
    const groups: BenchGroup[] = [
      {
        name: "loads a zip",
        run: async () => {
          Object.assign(env, { AWS_ENDPOINT_URL_SSM: "http://127.0.0.1:42429", AWS_REGION: "us-east-1" });
          throw new Error("and fails");
        },
      },
      { name: "runs a child", run: async () => (seen.push({ ...env }), []) },
    ];
    await runGroups(groups, () => undefined, env);
    expect(seen).toEqual([{ PATH: "/bin", AWS_REGION: "eu-west-1" }]);
    expect(env).toEqual({ PATH: "/bin", AWS_REGION: "eu-west-1" });
  });

  it("prints and keeps a target only where issue 14's table sets it: calls per runner at the 100-job burst", async () => {
    const lines: string[] = [];
    const burst = (jobs: number): Figure[] => [figure(`scale-up.burst-${jobs}.aws-per-runner`, 3), figure(`scale-up.burst-${jobs}.github-per-runner`, 1.02)];
    const { figures } = await runGroups([{ name: "calls", run: async () => [1, 10, 100, 1000].flatMap(burst) }], (line) => lines.push(line), {});
    expect(figures.filter((f) => f.target !== undefined).map((f) => f.id)).toEqual(["scale-up.burst-100.aws-per-runner", "scale-up.burst-100.github-per-runner"]);
    expect(lines.filter((line) => line.includes("target"))).toHaveLength(2);
  });
});

describe("scopeTarget", () => {
  it("leaves figures outside a sized family as they are", () => {
    const zip = figure("zip.webhook.bytes", 200_000);
    expect(scopeTarget(zip)).toBe(zip);
    expect(formatFigure(scopeTarget(figure("scale-up.burst-10.aws-per-delivery")))).not.toContain("target");
  });

  it("drops the target of the 1- and 1,000-job bursts and keeps the 100-job burst's", () => {
    expect(scopeTarget(figure("scale-up.burst-1.aws-per-runner", 3)).target).toBeUndefined();
    expect(scopeTarget(figure("scale-up.burst-1000.github-per-runner", 1.02)).target).toBeUndefined();
    expect(scopeTarget(figure("scale-up.burst-100.aws-per-runner", 3)).target).toBe(3);
  });
});
