import type { Construct } from "constructs";
import { BUILD_CACHE_OBJECT_PREFIXES, BUILD_CACHE_SWEEP_ENV } from "../../contracts/build-cache.js";
import { CloudwatchEventRule, CloudwatchEventTarget, LambdaPermission } from "../aws.js";
import type { EncryptionKey } from "../encryption-key.js";
import { NodejsFunction } from "../nodejs-function.js";
import { countIf } from "../private/conditions.js";
import { powertoolsEnvironment, renderEnvironment } from "../private/environment.js";
import type { BuildCacheBucket } from "../build-cache/build-cache-bucket.js";
import type { BuildCacheIndex } from "../build-cache/build-cache-index.js";
import { handlerFunctionProps, type HandlerFunctionProps } from "./handler-function.js";

/** How often the sweep runs: eviction is by days and GB, so an hour late costs nothing. */
export const BUILD_CACHE_SWEEP_SCHEDULE = "rate(1 hour)";

/** Props of {@link BuildCacheSweepFunction}. */
export interface BuildCacheSweepFunctionProps extends HandlerFunctionProps {
  /** Whether the build cache is on (a Terraform expression in the module): every resource is counted by it. */
  readonly enabled: boolean;
  readonly bucket: BuildCacheBucket;
  readonly index: BuildCacheIndex;
  readonly encryption: EncryptionKey;
  /** Bytes one scope may keep (a literal or a Terraform expression). */
  readonly scopeBudgetBytes: string;
  /** Days an entry is kept after its last access (a literal or a Terraform expression). */
  readonly retentionDays: string;
}

/**
 * lambdas/build-cache-sweep on a schedule: evicts entries older than the retention and, per scope, the
 * least recently used above the budget; deletes a blob only when no entry of its scope references it.
 */
export class BuildCacheSweepFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: BuildCacheSweepFunctionProps) {
    const { bucket, index } = props;
    const count = countIf(props.enabled);
    super(scope, id, {
      ...handlerFunctionProps("build-cache-sweep", props, {
        description: "Build cache: evicts entries past the retention or over a scope's budget, and unreferenced blobs",
        timeout: 900,
        // One sweep at a time: two would race over the same scope's budget.
        reservedConcurrency: 1,
        environment: renderEnvironment(BUILD_CACHE_SWEEP_ENV, {
          ...powertoolsEnvironment("build-cache-sweep", props.prefix),
          buildCacheBucket: bucket.bucketName,
          buildCacheIndexTable: index.tableName,
          buildCacheScopeBudgetBytes: props.scopeBudgetBytes,
          buildCacheRetentionDays: props.retentionDays,
        }),
      }),
      count,
    });
    this.addToRolePolicy("build-cache-sweep", [
      { Sid: "DeleteEvictedBlobs", Action: ["s3:DeleteObject"], Resource: Object.values(BUILD_CACHE_OBJECT_PREFIXES).map((p) => `${bucket.bucketArn}/${p}*`) },
      { Sid: "ListBlobs", Action: ["s3:ListBucket"], Resource: bucket.bucketArn, Condition: { StringLike: { "s3:prefix": Object.values(BUILD_CACHE_OBJECT_PREFIXES).map((p) => `${p}*`) } } },
      { Sid: "SweepIndex", Action: ["dynamodb:Scan", "dynamodb:Query", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"], Resource: index.tableArn },
    ]);
    props.encryption.grantUse("build-cache-sweep", { id: this.attribute(this.role, "id") }, ["lambda", "dynamodb"], props.enabled);

    const rule = new CloudwatchEventRule(this, "schedule", {
      count,
      name: `${props.prefix}-build-cache-sweep`,
      description: "Runs the self-runners build cache sweep",
      scheduleExpression: BUILD_CACHE_SWEEP_SCHEDULE,
      tags: props.tags,
    });
    const ruleAttribute = (name: string): string => this.attribute(rule, name);
    new CloudwatchEventTarget(this, "target", { count, rule: ruleAttribute("name"), arn: this.functionArn, targetId: "build-cache-sweep" });
    new LambdaPermission(this, "invoke", {
      count,
      statementId: "AllowEventBridgeInvoke",
      action: "lambda:InvokeFunction",
      functionName: this.functionName,
      principal: "events.amazonaws.com",
      sourceArn: ruleAttribute("arn"),
    });
  }
}
