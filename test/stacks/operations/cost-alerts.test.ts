import { beforeAll, describe, expect, it } from "vitest";
import type { SelfRunnersProps } from "../../../stacks/self-runners.js";
import { fakeDistDir, resourceOf, type SynthesizedStack, synthSelfRunners } from "../../helpers/synth.js";

let distDir: string;
beforeAll(() => {
  distDir = fakeDistDir();
});

const synthRunners = (overrides: Partial<SelfRunnersProps> = {}): SynthesizedStack => synthSelfRunners(distDir, overrides);

describe("CostAlerts inside SelfRunners", () => {
  it("creates no budget, anomaly monitor or tag activation by default", () => {
    const synth = synthRunners();
    expect(resourceOf(synth, "aws_budgets_budget", "cost_budget").count).toBe(0);
    expect(resourceOf(synth, "aws_ce_anomaly_monitor", "anomaly-monitor").count).toBe(0);
    expect(resourceOf(synth, "aws_ce_cost_allocation_tag", "cost-allocation-tag").for_each).toBe("${toset([])}");
  });

  it("budgets the kit's tagged cost and alerts the topic at 100 % forecast and 80 % actual", () => {
    const synth = synthRunners({ budgetMonthlyLimitUsd: 300 });
    const budget = resourceOf(synth, "aws_budgets_budget", "cost_budget");
    expect(budget).toMatchObject({ count: 1, name: "ci-monthly", limit_amount: "${tostring(300)}", cost_filter: [{ name: "TagKeyValue", values: ["user:self-runners:prefix$ci"] }] });
    expect((budget.notification as Array<Record<string, unknown>>).map((n) => [n.notification_type, n.threshold])).toEqual([["FORECASTED", 100], ["ACTUAL", 80]]);
  });

  it("subscribes the topic to anomalies of the kit's tag above the threshold", () => {
    const synth = synthRunners({ enableCostAnomalyDetection: true, costAnomalyThresholdUsd: 75 });
    expect(resourceOf(synth, "aws_ce_anomaly_monitor", "anomaly-monitor")).toMatchObject({ count: 1, monitor_type: "CUSTOM" });
    const subscription = resourceOf(synth, "aws_ce_anomaly_subscription", "anomaly-subscription");
    expect(subscription).toMatchObject({ count: 1, frequency: "IMMEDIATE" });
    expect(JSON.stringify(subscription.threshold_expression)).toContain("ANOMALY_TOTAL_IMPACT_ABSOLUTE");
  });
});
