// SelfRunners props of operations (alarms, dashboard, cost) and the build cache
// (stacks/module/inputs-operations.ts, inputs-build-cache.ts).
// Each prop is the camelCase of its Terraform variable; defaults and rules live in the input table.

/** Alarms, SLOs and cost alerts (stacks/operations/, docs/alarms.md). */
export interface OperationsProps {
  /**
   * Existing SNS topic for every alarm and cost alert; its policy must let CloudWatch, Budgets and Cost
   * Anomaly Detection publish.
   * @default "" (the topic `<prefix>-alarms` is created)
   */
  readonly alarmTopicArn?: string;
  /**
   * Create the service alarms.
   * @default true
   */
  readonly enableAlarms?: boolean;
  /**
   * Where alarm descriptions point: each ends with `<runbookBaseUrl>#<alarm id>`.
   * @default "docs/runbooks.md"
   */
  readonly runbookBaseUrl?: string;
  /**
   * Age in seconds of a pool queue's oldest message above which queue-age-high fires.
   * @default 1800
   */
  readonly alarmQueueAgeSeconds?: number;
  /**
   * Remaining GitHub API requests of an App below which github-budget-low fires.
   * @default 1000
   */
  readonly alarmGitHubBudgetMin?: number;
  /**
   * Requests blocked by the web ACL in 5 minutes above which waf-blocked-spike fires.
   * @default 500
   */
  readonly alarmWafBlockedRequests?: number;
  /**
   * Create the SLOs' multi-window, multi-burn-rate alarms.
   * @default true
   */
  readonly enableSloAlarms?: boolean;
  /**
   * Time-to-runner SLO threshold in seconds.
   * @default 180
   */
  readonly sloTimeToRunnerSeconds?: number;
  /**
   * Percentage of jobs that must get a runner within `sloTimeToRunnerSeconds`.
   * @default 90
   */
  readonly sloTimeToRunnerPercent?: number;
  /**
   * Percentage of jobs that must get a runner at all.
   * @default 99.5
   */
  readonly sloDispatchSuccessPercent?: number;
  /**
   * Create the CloudWatch dashboard `<prefix>` (docs/alarms.md, "Dashboard").
   * @default true
   */
  readonly enableDashboard?: boolean;
  /**
   * Monthly cost budget in USD for the kit's tagged resources.
   * @default 0 (no budget)
   */
  readonly budgetMonthlyLimitUsd?: number;
  /**
   * Create a Cost Anomaly Detection monitor and subscription.
   * @default false
   */
  readonly enableCostAnomalyDetection?: boolean;
  /**
   * Total impact in USD above which a cost anomaly is sent.
   * @default 20
   */
  readonly costAnomalyThresholdUsd?: number;
  /**
   * Activate the kit's cost allocation tags (payer account only).
   * @default false
   */
  readonly activateCostAllocationTags?: boolean;
}

/** The build cache next to the runners (stacks/build-cache/, docs/build-cache.md). */
export interface BuildCacheInputProps {
  /**
   * Create the build cache: bucket, index table, cache function with an IAM-authenticated URL, and the
   * loopback agent on every Linux runner. Windows pools are refused while it is on.
   * @default false
   */
  readonly enableBuildCache?: boolean;
  /**
   * Size in GB a scope's (repository's or organization's) entries may take before the sweep evicts the
   * least recently used.
   * @default 10
   */
  readonly buildCacheBudgetGbPerScope?: number;
  /**
   * Days an entry is kept after its last read or write.
   * @default 7
   */
  readonly buildCacheRetentionDays?: number;
  /**
   * Client protocols the agent serves (contracts/build-cache.ts, BUILD_CACHE_PROTOCOLS).
   * @default ["actions", "turborepo", "nx", "bazel", "gradle", "http"]
   */
  readonly buildCacheProtocols?: string[];
  /**
   * Point-in-time recovery for the build cache's index table.
   * @default false
   */
  readonly buildCachePointInTimeRecovery?: boolean;
}
