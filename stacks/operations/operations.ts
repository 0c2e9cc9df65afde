import { Construct } from "constructs";
import { Fn, TerraformIterator, TerraformLocal, Token } from "../cdktf.js";
import type { AwsContext } from "../aws-context.js";
import type { PoolMap } from "../pools.js";
import type { ResolvedSelfRunnersProps } from "../module/props.js";
import type { NatFailover } from "../nat-failover.js";
import { mapIf } from "../private/conditions.js";
import { AlarmTopic } from "./alarm-topic.js";
import { ServiceAlarms } from "./service-alarms.js";
import { SloAlarms } from "./slo-alarms.js";
import { CostAlerts } from "./cost-alerts.js";

/** Props of {@link Operations}. */
export interface OperationsProps {
  /** Deployment prefix. */
  readonly prefix: string;
  readonly context: AwsContext;
  /** The SelfRunners props with their defaults (the Operations inputs and the toggles of the parts watched). */
  readonly resolved: ResolvedSelfRunnersProps;
  readonly pools: PoolMap;
  /** The kit's KMS key, when one is in use: the created topic is encrypted with it. */
  readonly kmsKeyArn?: string;
  /** Whether the WAF allowlist (and so the github-hooks-ipset function) exists. */
  readonly wafAllowlistEnabled: boolean;
  /** The NAT failover functions, one per AZ when NAT instances are on. */
  readonly natFailover: NatFailover;
  /**
   * Tags for every resource.
   * @default {}
   */
  readonly tags?: Record<string, string>;
}

/** Seeing the fleet and being told: the alarm topic, the service alarms, the SLO burn-rate alarms and the cost alerts (docs/alarms.md). */
export class Operations extends Construct {
  readonly topic: AlarmTopic;
  readonly alarms: ServiceAlarms;
  readonly slo: SloAlarms;
  readonly cost: CostAlerts;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    const { prefix, resolved, tags } = props;
    const names = kitFunctionNames(prefix, props.wafAllowlistEnabled, resolved.enableNatInstances, props.natFailover);
    // One local, read by the errors and the throttles alarms alike.
    const functionNames = Token.isUnresolved(names) ? Token.asStringMap(new TerraformLocal(this, "function-names", names).expression) : names;
    this.topic = new AlarmTopic(this, "topic", { prefix, context: props.context, existingTopicArn: resolved.alarmTopicArn, kmsKeyArn: props.kmsKeyArn, tags });
    this.alarms = new ServiceAlarms(this, "alarms", {
      prefix,
      enabled: resolved.enableAlarms,
      topicArn: this.topic.topicArn,
      runbookBaseUrl: resolved.runbookBaseUrl,
      pools: props.pools,
      functionNames,
      reconcileFunctionName: `${prefix}-reconcile`,
      reconcileScheduleExpression: resolved.reconcileScheduleExpression,
      githubAppIds: githubAppIds(resolved),
      queueAgeSeconds: resolved.alarmQueueAgeSeconds,
      githubBudgetMin: resolved.alarmGitHubBudgetMin,
      natEnabled: resolved.enableNatInstances,
      wafEnabled: resolved.enableWaf,
      webAclName: `${prefix}-webhook`,
      region: props.context.region,
      wafBlockedRequests: resolved.alarmWafBlockedRequests,
      tags,
    });
    this.slo = new SloAlarms(this, "slo", {
      prefix,
      enabled: resolved.enableSloAlarms,
      topicArn: this.topic.topicArn,
      runbookBaseUrl: resolved.runbookBaseUrl,
      timeToRunnerSeconds: resolved.sloTimeToRunnerSeconds,
      timeToRunnerPercent: resolved.sloTimeToRunnerPercent,
      dispatchSuccessPercent: resolved.sloDispatchSuccessPercent,
      tags,
    });
    this.cost = new CostAlerts(this, "cost", {
      prefix,
      topicArn: this.topic.topicArn,
      budgetMonthlyLimitUsd: resolved.budgetMonthlyLimitUsd,
      enableCostAnomalyDetection: resolved.enableCostAnomalyDetection,
      costAnomalyThresholdUsd: resolved.costAnomalyThresholdUsd,
      activateCostAllocationTags: resolved.activateCostAllocationTags,
      tags,
    });
  }
}

/**
 * Alarm key -> function name of every function the kit runs (names as common rules fix them): the
 * four handlers, github-hooks-ipset with the WAF allowlist, nat-failover-<az> with NAT instances.
 */
function kitFunctionNames(prefix: string, allowlist: boolean, natEnabled: boolean, natFailover: NatFailover): Record<string, string> {
  // format(), not "${prefix}-...": cdktf mis-renders interpolated strings inside its functions (merge, conditional).
  const named = (name: string): string => (Token.isUnresolved(prefix) ? Fn.format(`%s-${name}`, [prefix]) : `${prefix}-${name}`);
  const handlers = Object.fromEntries(["webhook", "scale-up", "reconcile", "spot-interruption"].map((name) => [name, named(name)]));
  const ipSet = { "github-hooks-ipset": named("github-hooks-ipset") };
  if (!Token.isUnresolved(allowlist) && !Token.isUnresolved(natEnabled) && !natEnabled) return allowlist ? { ...handlers, ...ipSet } : handlers;
  const nat = TerraformIterator.fromResources(natFailover.functions).forExpressionForMap('format("nat-failover-%s", key)', "val.function_name");
  return Token.asStringMap(Fn.merge([handlers, mapIf(allowlist, ipSet), nat]));
}

/** github_app_id and the additional Apps' ids. */
function githubAppIds(resolved: ResolvedSelfRunnersProps): string[] {
  const more = resolved.additionalGitHubApps;
  if (!Token.isUnresolved(more) && !Token.isUnresolved(resolved.githubAppId)) {
    return [resolved.githubAppId, ...(more as ReadonlyArray<{ appId: string }>).map((app) => app.appId)];
  }
  const moreIds = Token.isUnresolved(more) ? TerraformIterator.fromList(more as never).forExpressionForList("val.app_id") : (more as ReadonlyArray<{ appId: string }>).map((app) => app.appId);
  return Token.asList(Fn.concat([[resolved.githubAppId], moreIds as never]));
}
