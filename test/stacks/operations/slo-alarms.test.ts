import { beforeAll, describe, expect, it } from "vitest";
import { SelfRunnersValidationError } from "../../../stacks/errors.js";
import type { SelfRunnersProps } from "../../../stacks/self-runners.js";
import { fakeDistDir, resourceOf, resourcesOf, type SynthesizedStack, synthSelfRunners } from "../../helpers/synth.js";

let distDir: string;
beforeAll(() => {
  distDir = fakeDistDir();
});

const synthRunners = (overrides: Partial<SelfRunnersProps> = {}): SynthesizedStack => synthSelfRunners(distDir, overrides);

type Query = { id: string; expression?: string; return_data?: boolean; metric?: { metric_name: string; namespace: string; stat: string; period: number; dimensions: Record<string, string> } };
const windowAlarm = (synth: SynthesizedStack, id: string) => resourceOf(synth, "aws_cloudwatch_metric_alarm", `slo_${id}_`);

describe("SloAlarms inside SelfRunners", () => {
  it("pages on 1 h and 5 min windows at 14.4x and tickets on 6 h and 30 min at 6x, per SLO", () => {
    const synth = synthRunners();
    const periods = (id: string) => (windowAlarm(synth, id).metric_query as Query[]).flatMap((q) => (q.metric ? [q.metric.period] : []));
    expect(periods("dispatch-success-page-long")).toEqual([3600, 3600]);
    expect(periods("dispatch-success-page-short")).toEqual([300, 300]);
    expect(periods("time-to-runner-ticket-long")).toEqual([21600]);
    expect(periods("time-to-runner-ticket-short")).toEqual([1800]);
    expect(windowAlarm(synth, "dispatch-success-page-long").threshold).toBe(0.072);
    expect(windowAlarm(synth, "dispatch-success-ticket-short").threshold).toBe(0.03);
    expect(windowAlarm(synth, "time-to-runner-ticket-long").threshold).toBe(0.6);
  });

  it("caps the page threshold at 1 for the 90 % time-to-runner objective (14.4x is unreachable)", () => {
    expect(windowAlarm(synthRunners(), "time-to-runner-page-long")).toMatchObject({ threshold: 1, comparison_operator: "GreaterThanOrEqualToThreshold" });
  });

  it("reads time to runner as a percentile rank and dispatch success as failed / (dispatched + failed)", () => {
    const synth = synthRunners({ sloTimeToRunnerSeconds: 240 });
    const ttr = windowAlarm(synth, "time-to-runner-page-short").metric_query as Query[];
    expect(ttr[0].metric).toMatchObject({ namespace: "SelfRunners/ci", metric_name: "TimeToRunner", stat: "PR(:240)", dimensions: { service: "webhook" } });
    expect(ttr[1]).toMatchObject({ id: "bad", expression: "(100 - fast) / 100", return_data: true });
    const dispatch = windowAlarm(synth, "dispatch-success-page-short").metric_query as Query[];
    expect(dispatch.map((q) => q.metric?.metric_name ?? q.expression)).toEqual(["JobsDispatched", "JobsDispatchFailed", "FILL(failed, 0) / (FILL(good, 0) + FILL(failed, 0))"]);
    expect(dispatch[0].metric?.dimensions).toEqual({ service: "scale-up" });
  });

  it("notifies only through composites of both windows, which link the SLO's runbook", () => {
    const synth = synthRunners();
    for (const a of Object.values(resourcesOf(synth, "aws_cloudwatch_metric_alarm")).filter((a) => String(a.alarm_name).startsWith("ci-slo-"))) {
      expect(a.alarm_actions).toBeUndefined();
      expect(a.treat_missing_data).toBe("notBreaching");
    }
    const composites = resourcesOf(synth, "aws_cloudwatch_composite_alarm");
    expect(Object.values(composites).map((c) => c.alarm_name).sort()).toEqual(["ci-slo-dispatch-success-page", "ci-slo-dispatch-success-ticket", "ci-slo-time-to-runner-page", "ci-slo-time-to-runner-ticket"]);
    const page = resourceOf(synth, "aws_cloudwatch_composite_alarm", "slo_time-to-runner-page_");
    expect(page.alarm_rule).toMatch(/^ALARM\("\$\{aws_cloudwatch_metric_alarm\..*time-to-runner-page-long.*\.alarm_name\}"\) AND ALARM\("\$\{aws_cloudwatch_metric_alarm\..*time-to-runner-page-short.*\.alarm_name\}"\)$/);
    expect(page.alarm_description).toMatch(/Runbook: docs\/runbooks\.md#slo-time-to-runner$/);
    expect(page.ok_actions).toEqual(page.alarm_actions);
  });

  it("creates none when switched off, independently of the service alarms", () => {
    const synth = synthRunners({ enableSloAlarms: false });
    expect(Object.values(resourcesOf(synth, "aws_cloudwatch_composite_alarm")).map((c) => c.count)).toEqual([0, 0, 0, 0]);
    expect(resourceOf(synth, "aws_cloudwatch_metric_alarm", "alarms_fleet-failures_").count).toBe(1);
  });

  it("fails when an objective leaves no error budget", () => {
    expect(() => synthRunners({ sloDispatchSuccessPercent: 100 })).toThrow(SelfRunnersValidationError);
  });
});
