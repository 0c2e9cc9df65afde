import { Construct } from "constructs";
import { Fn, Op, Token } from "../cdktf.js";
import type { IamRole } from "../aws.js";
import type { AwsContext } from "../aws-context.js";
import type { EncryptionKey } from "../encryption-key.js";
import { checkProps } from "../errors.js";
import type { GitHubAppAccess } from "../private/github-app-access.js";
import type { JobLedger } from "../job-ledger.js";
import { BUILD_CACHE_INPUTS } from "../module/inputs-build-cache.js";
import { countIf } from "../private/conditions.js";
import type { RunnersTable } from "../runners-table.js";
import { BuildCacheFunction } from "../functions/build-cache-function.js";
import { BuildCacheSweepFunction } from "../functions/build-cache-sweep-function.js";
import type { HandlerFunctionProps } from "../functions/handler-function.js";
import { BuildCacheBucket } from "./build-cache-bucket.js";
import { BuildCacheIndex } from "./build-cache-index.js";
import { CacheAgentObject } from "./cache-agent-object.js";
import { NO_BUILD_CACHE, cacheBootstrapSettings, type CacheBootstrapSettings } from "./cache-clients.js";

const BYTES_PER_GB = 1024 ** 3;

/** Props of {@link BuildCache}. */
export interface BuildCacheProps extends HandlerFunctionProps {
  /**
   * Create the build cache; every resource is counted by it (a Terraform expression in the module).
   * @default false
   */
  readonly enabled?: boolean;
  /**
   * GB a scope's entries may take before the sweep evicts the least recently used.
   * @default 10
   */
  readonly budgetGbPerScope?: number;
  /**
   * Days an entry is kept after its last access.
   * @default 7
   */
  readonly retentionDays?: number;
  /**
   * Client protocols the agent serves.
   * @default ["actions", "turborepo", "nx", "bazel", "gradle", "http"]
   */
  readonly protocols?: string[];
  /**
   * Point-in-time recovery of the index table.
   * @default false
   */
  readonly pointInTimeRecovery?: boolean;
  readonly context: AwsContext;
  readonly encryption: EncryptionKey;
  /** The runners table and the job ledger: the function reads the caller's item and job. */
  readonly table: RunnersTable;
  readonly ledger: JobLedger;
  /** The runner binaries bucket, which receives the agent bundle. */
  readonly binaries: { readonly bucketName: string; readonly bucketArn: string };
  /** ARNs of the roles that may touch the index's items (its resource policy). */
  readonly dataRoleArns: string[];
  /** Names of the runner instances' roles, without path (the function answers only their sessions). */
  readonly runnerRoleNames: string[];
  /** The GitHub API URL (the Actions cache redirect depends on the GitHub product). */
  readonly githubApiUrl: string;
  /** The GitHub App: the function checks a lookup's pull request claim with its installation token. */
  readonly app: GitHubAppAccess;
}

/**
 * The build cache next to the runners (docs/build-cache.md): the blob bucket, the index table, the cache
 * function behind its IAM-authenticated URL, the sweep on a schedule, and the agent bundle runners start.
 * Runner instances get {@link BuildCache.grantRunner}: the function URL and the bundle, never the bucket.
 */
export class BuildCache extends Construct {
  readonly bucket: BuildCacheBucket;
  readonly index: BuildCacheIndex;
  readonly function: BuildCacheFunction;
  readonly sweep: BuildCacheSweepFunction;
  readonly agent: CacheAgentObject;
  /** What the runner bootstrap reads: the agent's key and environment, or NO_BUILD_CACHE when off. */
  readonly bootstrap: CacheBootstrapSettings;
  readonly enabled: boolean;
  /** The function URL, bucket and index names; "" when off (module outputs). */
  readonly functionUrl: string;
  readonly bucketName: string;
  readonly indexTableName: string;

  constructor(scope: Construct, id: string, props: BuildCacheProps) {
    super(scope, id);
    const inputs = BUILD_CACHE_INPUTS;
    checkProps(this.node.path, [
      { prop: "budgetGbPerScope", value: props.budgetGbPerScope, rule: inputs.buildCacheBudgetGbPerScope.rule },
      { prop: "retentionDays", value: props.retentionDays, rule: inputs.buildCacheRetentionDays.rule },
      { prop: "protocols", value: props.protocols, rule: inputs.buildCacheProtocols.rule },
    ]);
    const enabled = props.enabled ?? inputs.enableBuildCache.default;
    this.enabled = enabled;
    const count = countIf(enabled);
    const budgetGb = props.budgetGbPerScope ?? inputs.buildCacheBudgetGbPerScope.default;
    const scopeBudgetBytes = Token.isUnresolved(budgetGb) ? Token.asString(Op.mul(budgetGb, BYTES_PER_GB)) : String(budgetGb * BYTES_PER_GB);
    const retentionDays = props.retentionDays ?? inputs.buildCacheRetentionDays.default;
    const protocolList = props.protocols ?? inputs.buildCacheProtocols.default;
    // Always an expression: a JSON literal's double quotes would break the HCL of the runners' user data.
    const protocols = Fn.jsonencode(protocolList);
    const tags = props.tags ?? {};

    this.bucket = new BuildCacheBucket(this, "bucket", { prefix: props.prefix, context: props.context, count, kmsKeyArn: props.kmsKeyArn, kmsKeyInUse: props.encryption.enabled, tags });
    this.index = new BuildCacheIndex(this, "index", {
      count,
      tableName: `${props.prefix}-build-cache`,
      pointInTimeRecovery: props.pointInTimeRecovery,
      kmsKeyArn: props.kmsKeyArn,
      dataRoleArns: props.dataRoleArns,
      tags,
    });
    this.function = new BuildCacheFunction(this, "function", {
      ...props,
      enabled,
      bucket: this.bucket,
      index: this.index,
      scopeBudgetBytes,
      protocols,
    });
    this.sweep = new BuildCacheSweepFunction(this, "sweep", {
      ...props,
      enabled,
      bucket: this.bucket,
      index: this.index,
      scopeBudgetBytes,
      retentionDays: Token.asString(retentionDays),
    });
    this.agent = new CacheAgentObject(this, "agent", { count, distDir: props.distDir, bucketName: props.binaries.bucketName, bucketArn: props.binaries.bucketArn, tags });

    const created = (value: string): string => (Token.isUnresolved(enabled) ? Fn.try([value, ""]) : enabled ? value : "");
    this.functionUrl = created(this.function.functionUrl);
    this.bucketName = created(this.bucket.bucketName);
    this.indexTableName = created(this.index.tableName);
    const on = cacheBootstrapSettings(this.function.functionUrl, props.context.region, protocols, props.githubApiUrl);
    const pick = (key: keyof CacheBootstrapSettings): string =>
      Token.isUnresolved(enabled) ? Token.asString(Fn.conditional(enabled, on[key], NO_BUILD_CACHE[key])) : enabled ? on[key] : NO_BUILD_CACHE[key];
    this.bootstrap = { agentKey: pick("agentKey"), redirectKey: pick("redirectKey"), githubApiUrl: pick("githubApiUrl"), agentEnvironment: pick("agentEnvironment"), protocols: pick("protocols") };
  }

  /**
   * What runner instances need, with the cache on: invoking the function through its URL
   * ({@link BuildCacheFunction.grantInvokeUrl}) and reading the agent bundle. No access to the cache bucket.
   */
  grantRunner(role: IamRole, vpcId: string): void {
    this.function.grantInvokeUrl(role, vpcId);
    this.agent.grantRead(role, vpcId);
  }
}
