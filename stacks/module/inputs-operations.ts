/**
 * The operations inputs of the input table (./inputs.ts): the alarm topic, service alarms, SLOs and
 * their burn-rate alarms and the cost alerts (constructs in stacks/operations/).
 * OPERATIONS_INPUTS holds the rules and defaults the constructs share with the table, keyed by prop.
 */
import { emptyOr, inputRule, integerBetween, matching, numberBetween, type InputRule } from "./rules.js";
import type { InputGroup } from "./input-spec.js";

/** The relative link every alarm description ends with, unless runbook_base_url makes it absolute. */
export const DEFAULT_RUNBOOK_BASE_URL = "docs/runbooks.md";

/** An SLO objective in percent: above 0 and below 100 (100 % leaves no error budget to burn). */
const OBJECTIVE_PERCENT: InputRule = inputRule(
  "a percentage above 0 and below 100 (100 leaves no error budget)",
  (v: number) => typeof v === "number" && v > 0 && v < 100,
  (r) => `${r} > 0 && ${r} < 100`,
);

/** Rules and defaults the operations constructs check their props with, keyed by SelfRunners prop. */
export const OPERATIONS_INPUTS = {
  alarmTopicArn: {
    rule: emptyOr(matching("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", "an SNS topic ARN of the form arn:aws:sns:<region>:<account>:<name> (standard, not FIFO)")),
    default: "",
  },
  runbookBaseUrl: {
    rule: matching("^(docs/runbooks\\.md|https://\\S+)$", `"${DEFAULT_RUNBOOK_BASE_URL}" or an https:// URL of the runbooks page (each alarm appends #<id>)`),
    default: DEFAULT_RUNBOOK_BASE_URL,
  },
  alarmQueueAgeSeconds: { rule: integerBetween(60, 86400), default: 1800 },
  alarmGitHubBudgetMin: { rule: integerBetween(1, 100000), default: 1000 },
  alarmWafBlockedRequests: { rule: integerBetween(1, 10000000), default: 500 },
  sloTimeToRunnerSeconds: { rule: integerBetween(10, 3600), default: 180 },
  sloTimeToRunnerPercent: { rule: OBJECTIVE_PERCENT, default: 90 },
  sloDispatchSuccessPercent: { rule: OBJECTIVE_PERCENT, default: 99.5 },
  budgetMonthlyLimitUsd: { rule: numberBetween(0, 10000000, " (0: no budget)"), default: 0 },
  costAnomalyThresholdUsd: { rule: numberBetween(1, 1000000), default: 20 },
} satisfies Record<string, { readonly rule: InputRule; readonly default: unknown }>;

export const OPERATIONS: InputGroup = {
  title: "Operations",
  inputs: [
    {
      name: "alarm_topic_arn", type: "string", default: OPERATIONS_INPUTS.alarmTopicArn.default,
      description: "Existing SNS topic for every alarm, budget and cost anomaly alert. Empty: the module creates <prefix>-alarms (encrypted with the kit's KMS key when one is in use) and outputs it as alarm_topic_arn. A given topic's policy must let cloudwatch.amazonaws.com, budgets.amazonaws.com and costalerts.amazonaws.com publish (docs/alarms.md).",
      rules: [OPERATIONS_INPUTS.alarmTopicArn.rule],
    },
    {
      name: "enable_alarms", type: "bool", default: true,
      description: "Create the service alarms (dead-letter queues, queue age, function errors and throttles, reconcile not running, GitHub budget, launch and fleet failures, NAT failover, WAF blocks), each sending ALARM and OK to the topic and linking its runbook (docs/alarms.md).",
    },
    {
      name: "runbook_base_url", type: "string", default: OPERATIONS_INPUTS.runbookBaseUrl.default,
      description: "Where alarm descriptions point: each ends with <runbook_base_url>#<alarm id>. Set the https:// URL of docs/runbooks.md in your copy of the repository to make the links clickable.",
      rules: [OPERATIONS_INPUTS.runbookBaseUrl.rule],
    },
    {
      name: "alarm_queue_age_seconds", type: "number", default: OPERATIONS_INPUTS.alarmQueueAgeSeconds.default,
      description: "queue-age-high fires when a pool queue's oldest message is older than this. Waiting jobs come back every job_wait_max_seconds at most, so keep it above that.",
      rules: [OPERATIONS_INPUTS.alarmQueueAgeSeconds.rule],
    },
    {
      name: "alarm_github_budget_min", type: "number", default: OPERATIONS_INPUTS.alarmGitHubBudgetMin.default,
      description: "github-budget-low fires when an App's remaining hourly GitHub API requests fall below this (keep it above github_min_remaining_requests, where launches start to wait).",
      rules: [OPERATIONS_INPUTS.alarmGitHubBudgetMin.rule],
    },
    {
      name: "alarm_waf_blocked_requests", type: "number", default: OPERATIONS_INPUTS.alarmWafBlockedRequests.default,
      description: "waf-blocked-spike fires when the web ACL blocks more requests than this in 5 minutes (only with enable_waf).",
      rules: [OPERATIONS_INPUTS.alarmWafBlockedRequests.rule],
    },
    {
      name: "enable_slo_alarms", type: "bool", default: true,
      description: "Create the multi-window, multi-burn-rate alarms of the two SLOs (page: 1 h and 5 min at 14.4x; ticket: 6 h and 30 min at 6x), independently of enable_alarms.",
    },
    {
      name: "slo_time_to_runner_seconds", type: "number", default: OPERATIONS_INPUTS.sloTimeToRunnerSeconds.default,
      description: "Time-to-runner SLO: a job should get its runner within this many seconds (queued to in_progress). 180 s covers a cold EC2 boot (about 30-60 s to running, 60-90 s of OS and runner start-up) with margin for retries.",
      rules: [OPERATIONS_INPUTS.sloTimeToRunnerSeconds.rule],
    },
    {
      name: "slo_time_to_runner_percent", type: "number", default: OPERATIONS_INPUTS.sloTimeToRunnerPercent.default,
      description: "Time-to-runner SLO: the percentage of jobs that must get a runner within slo_time_to_runner_seconds (90: the p90).",
      rules: [OPERATIONS_INPUTS.sloTimeToRunnerPercent.rule],
    },
    {
      name: "slo_dispatch_success_percent", type: "number", default: OPERATIONS_INPUTS.sloDispatchSuccessPercent.default,
      description: "Dispatch SLO: the percentage of jobs that must get a runner, JobsDispatched / (JobsDispatched + JobsDispatchFailed).",
      rules: [OPERATIONS_INPUTS.sloDispatchSuccessPercent.rule],
    },
    {
      name: "budget_monthly_limit_usd", type: "number", default: OPERATIONS_INPUTS.budgetMonthlyLimitUsd.default,
      description: "Monthly AWS Budgets cost budget in USD for the resources tagged self-runners:prefix = <prefix> (that tag must be an active cost allocation tag), alerting the topic at 100 % forecast and 80 % actual. 0 creates no budget.",
      rules: [OPERATIONS_INPUTS.budgetMonthlyLimitUsd.rule],
    },
    {
      name: "enable_cost_anomaly_detection", type: "bool", default: false,
      description: "Create a Cost Anomaly Detection monitor of the resources tagged self-runners:prefix = <prefix> and a subscription sending anomalies above cost_anomaly_threshold_usd to the topic.",
    },
    {
      name: "cost_anomaly_threshold_usd", type: "number", default: OPERATIONS_INPUTS.costAnomalyThresholdUsd.default,
      description: "Total impact in USD above which a cost anomaly is sent to the topic.",
      rules: [OPERATIONS_INPUTS.costAnomalyThresholdUsd.rule],
    },
    {
      name: "activate_cost_allocation_tags", type: "bool", default: false,
      description: "Activate self-runners:prefix and self-runners:pool as cost allocation tags (aws_ce_cost_allocation_tag). Works only in the payer (management) account of an organization and only once the tags have been seen on a bill; elsewhere activate them there by hand.",
    },
  ],
};
