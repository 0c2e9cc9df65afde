import { Construct } from "constructs";
import { Fn, Op, Token } from "../cdktf.js";
import { CloudwatchCompositeAlarm, CloudwatchMetricAlarm, type CloudwatchMetricAlarmMetricQuery } from "../aws.js";
import { checkProps } from "../errors.js";
import { countIf, localCondition } from "../private/conditions.js";
import { OPERATIONS_INPUTS } from "../module/inputs-operations.js";
import { alarmDescription, kitMetric, type RunbookId } from "./alarm-conventions.js";
import { BURN_RATE_WINDOWS, burnRateThreshold, type BurnRateWindow } from "./burn-rate.js";

/** Props of {@link SloAlarms}. */
export interface SloAlarmsProps {
  /** Deployment prefix: alarms are `<prefix>-slo-<slo>-<severity>[-long|-short]`. */
  readonly prefix: string;
  /**
   * Create the alarms.
   * @default true
   */
  readonly enabled?: boolean;
  /** Topic the composite alarms send ALARM and OK to. */
  readonly topicArn: string;
  /**
   * Base of the runbook link each description ends with.
   * @default "docs/runbooks.md"
   */
  readonly runbookBaseUrl?: string;
  /**
   * A job should get its runner within this many seconds.
   * @default 180
   */
  readonly timeToRunnerSeconds?: number;
  /**
   * Percentage of jobs that must get a runner within `timeToRunnerSeconds`.
   * @default 90
   */
  readonly timeToRunnerPercent?: number;
  /**
   * Percentage of jobs that must get a runner at all.
   * @default 99.5
   */
  readonly dispatchSuccessPercent?: number;
  /**
   * Tags for the alarms.
   * @default {}
   */
  readonly tags?: Record<string, string>;
}

/** One SLO: its bad-event ratio as metric math over a window, and its objective. */
export interface SloDefinition {
  readonly id: "time-to-runner" | "dispatch-success";
  readonly runbook: RunbookId;
  readonly what: string;
  readonly objectivePercent: number;
  /** The queries whose `bad` expression is the ratio of bad events in a window of `periodSeconds`. */
  readonly badRatio: (periodSeconds: number) => CloudwatchMetricAlarmMetricQuery[];
}

/**
 * The SLOs of docs/alarms.md as multi-window, multi-burn-rate alarms (SRE Workbook ch. 5; math in
 * ./burn-rate.ts). A metric alarm reads one period, so each window is its own metric-math alarm (no
 * actions), and a composite alarm per severity fires on `ALARM(long) AND ALARM(short)` and notifies.
 */
export class SloAlarms extends Construct {
  /** The two SLOs, for the dashboard's burn widgets. */
  readonly slos: readonly SloDefinition[];

  constructor(scope: Construct, id: string, props: SloAlarmsProps) {
    super(scope, id);
    checkProps(this.node.path, [
      { prop: "timeToRunnerSeconds", value: props.timeToRunnerSeconds, rule: OPERATIONS_INPUTS.sloTimeToRunnerSeconds.rule },
      { prop: "timeToRunnerPercent", value: props.timeToRunnerPercent, rule: OPERATIONS_INPUTS.sloTimeToRunnerPercent.rule },
      { prop: "dispatchSuccessPercent", value: props.dispatchSuccessPercent, rule: OPERATIONS_INPUTS.sloDispatchSuccessPercent.rule },
    ]);
    const count = countIf(localCondition(this, "enabled", props.enabled ?? true));
    this.slos = sloDefinitions(props);
    for (const slo of this.slos) {
      for (const window of BURN_RATE_WINDOWS) this.burnRateAlarm(props, count, slo, window);
    }
  }

  private burnRateAlarm(props: SloAlarmsProps, count: number, slo: SloDefinition, window: BurnRateWindow): void {
    const name = `${props.prefix}-slo-${slo.id}-${window.severity}`;
    const threshold = thresholdOf(window.factor, slo.objectivePercent);
    const windowAlarm = (length: "long" | "short", seconds: number): CloudwatchMetricAlarm =>
      new CloudwatchMetricAlarm(this, `${slo.id}-${window.severity}-${length}`, {
        count,
        alarmName: `${name}-${length}`,
        alarmDescription: `Bad-event ratio of the ${slo.id} SLO over ${seconds / 60} min at or above ${window.factor}x its error budget (one window of ${name}; notifies through the composite).`,
        metricQuery: slo.badRatio(seconds),
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        threshold,
        evaluationPeriods: 1,
        // No job in the window burns no budget.
        treatMissingData: "notBreaching",
        tags: props.tags ?? {},
      });
    const long = windowAlarm("long", window.longSeconds);
    const short = windowAlarm("short", window.shortSeconds);
    const alarmName = (alarm: CloudwatchMetricAlarm): string => Fn.lookupNested(alarm.fqn, ["0", "alarm_name"]);
    const actions = [props.topicArn];
    new CloudwatchCompositeAlarm(this, `${slo.id}-${window.severity}`, {
      count,
      alarmName: name,
      alarmDescription: alarmDescription(
        `${window.severity === "page" ? "Page" : "Ticket"}: ${slo.what} is burning its error budget at ${window.factor}x or more over ${window.longSeconds / 3600} h and ${window.shortSeconds / 60} min.`,
        slo.runbook,
        props.runbookBaseUrl,
      ),
      alarmRule: `ALARM("${alarmName(long)}") AND ALARM("${alarmName(short)}")`,
      alarmActions: actions,
      okActions: actions,
      tags: props.tags ?? {},
    });
  }
}

/** The two SLOs of the kit with their bad-event ratios, from the metric table. */
export function sloDefinitions(props: Pick<SloAlarmsProps, "prefix" | "timeToRunnerSeconds" | "timeToRunnerPercent" | "dispatchSuccessPercent">): SloDefinition[] {
  const seconds = props.timeToRunnerSeconds ?? OPERATIONS_INPUTS.sloTimeToRunnerSeconds.default;
  const timeToRunner = kitMetric(props.prefix, "timeToRunner");
  const dispatched = kitMetric(props.prefix, "jobsDispatched");
  const failed = kitMetric(props.prefix, "jobsDispatchFailed");
  const query = (id: string, metric: typeof timeToRunner, stat: string, period: number): CloudwatchMetricAlarmMetricQuery => ({
    id,
    metric: { namespace: metric.namespace, metricName: metric.metricName, dimensions: metric.dimensions, stat, period },
  });
  return [
    {
      id: "time-to-runner",
      runbook: "slo-time-to-runner",
      what: "time to runner",
      objectivePercent: props.timeToRunnerPercent ?? OPERATIONS_INPUTS.sloTimeToRunnerPercent.default,
      // PR(:N) is the percentile rank: the percent of jobs that got a runner within N seconds.
      badRatio: (period) => [
        query("fast", timeToRunner, `PR(:${seconds})`, period),
        { id: "bad", expression: "(100 - fast) / 100", label: "share of jobs slower than the SLO", returnData: true },
      ],
    },
    {
      id: "dispatch-success",
      runbook: "slo-dispatch-success",
      what: "dispatch success",
      objectivePercent: props.dispatchSuccessPercent ?? OPERATIONS_INPUTS.sloDispatchSuccessPercent.default,
      badRatio: (period) => [
        query("good", dispatched, "Sum", period),
        query("failed", failed, "Sum", period),
        { id: "bad", expression: "FILL(failed, 0) / (FILL(good, 0) + FILL(failed, 0))", label: "share of jobs given up", returnData: true },
      ],
    },
  ];
}

/** {@link burnRateThreshold} for a literal objective, the same `min(factor x (1 - O/100), 1)` in HCL for a variable. */
function thresholdOf(factor: number, objectivePercent: number): number {
  if (!Token.isUnresolved(objectivePercent)) return burnRateThreshold(factor, objectivePercent);
  return Token.asNumber(Fn.min([Op.mul(factor, Op.sub(1, Op.div(objectivePercent, 100))), 1]));
}
