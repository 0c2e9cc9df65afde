import { beforeAll, describe, expect, it } from "vitest";
import type { SelfRunnersProps } from "../../../stacks/self-runners.js";
import { fakeDistDir, resourceOf, resourcesOf, type SynthesizedStack, synthSelfRunners } from "../../helpers/synth.js";

let distDir: string;
beforeAll(() => {
  distDir = fakeDistDir();
});

const synthRunners = (overrides: Partial<SelfRunnersProps> = {}): SynthesizedStack => synthSelfRunners(distDir, overrides);

describe("Dashboard inside SelfRunners", () => {
  it("creates one dashboard named after the prefix, its body JSON with the deployment's region interpolated", () => {
    const dashboard = resourceOf(synthRunners(), "aws_cloudwatch_dashboard", "dashboard");
    expect(dashboard).toMatchObject({ dashboard_name: "ci", count: 1 });
    const body = JSON.parse(String(dashboard.dashboard_body)) as { widgets: Array<{ properties: { region?: string; metrics?: unknown[] } }> };
    expect(body.widgets).toHaveLength(17);
    expect(body.widgets[1].properties.region).toMatch(/^\$\{data\.aws_region\.\w+\.id\}$/);
    expect(body.widgets[1].properties.metrics?.[1]).toEqual([{ id: "s1", label: "p90", expression: `SEARCH('{"SelfRunners/ci",service,Pool} MetricName="TimeToRunner" service="webhook"', 'p90', 300)` }]);
  });

  it("follows the SLO and alarm inputs: the time-to-runner line and the burn-rate budget", () => {
    const body = String(resourceOf(synthRunners({ sloTimeToRunnerSeconds: 240, sloDispatchSuccessPercent: 99.9 }), "aws_cloudwatch_dashboard", "dashboard").dashboard_body);
    expect(body).toContain('"annotations":{"horizontal":[{"label":"SLO","value":240}]}');
    expect(body).toContain('"expression":"bad / 0.001"');
    expect(body).toContain('"stat":"PR(:240)"');
  });

  it("creates none with enableDashboard false, leaving the alarms", () => {
    const synth = synthRunners({ enableDashboard: false });
    expect(Object.values(resourcesOf(synth, "aws_cloudwatch_dashboard")).map((d) => d.count)).toEqual([0]);
    expect(resourceOf(synth, "aws_cloudwatch_metric_alarm", "alarms_fleet-failures_").count).toBe(1);
  });
});
