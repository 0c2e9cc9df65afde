import type { Construct } from "constructs";
import { Fn } from "../cdktf.js";
import { DynamodbResourcePolicy, DynamodbTable } from "../aws.js";
import { policyDocument, type PolicyStatement } from "./iam.js";

/** What the kit's two tables (the job ledger and the runners table) let their users set. */
export interface KitTableProps {
  /** Table name. */
  readonly tableName: string;
  /**
   * Point-in-time recovery.
   * @default false
   */
  readonly pointInTimeRecovery?: boolean;
  /**
   * Customer managed KMS key for server-side encryption; a Terraform expression may evaluate to null,
   * which keeps the AWS managed key (`aws/dynamodb`).
   * @default - the AWS managed key
   */
  readonly kmsKeyArn?: string;
  /**
   * ARNs of the only roles that may read, write, export or back up items: a resource policy denies
   * those actions to every other principal of the account (docs/security.md, "Keys and data at rest").
   * @default - no resource policy (IAM alone decides)
   */
  readonly dataRoleArns?: string[];
  /**
   * Tags for the table.
   * @default {}
   */
  readonly tags?: Record<string, string>;
}

/** How a kit table's items are keyed (the ledger and the runners table: `pk` alone). */
export interface KitTableKeys {
  /** Partition key attribute (string). */
  readonly partitionKey: string;
  /** Sort key attribute (string), if any. */
  readonly sortKey?: string;
  /** `count` of the table and its policy, when a variable switches them; references go through index 0. */
  readonly count?: number;
}

/**
 * A kit table in `scope` (construct ids `table` and `resource-policy`): on-demand, keyed by `pk` (or
 * `keys`), encrypted, items expiring through TTL on `ttlAttribute`, and item access denied to every role
 * but `dataRoleArns` when given.
 */
export function kitTable(scope: Construct, props: KitTableProps, ttlAttribute: string, keys: KitTableKeys = { partitionKey: "pk" }): DynamodbTable {
  const table = new DynamodbTable(scope, "table", {
    count: keys.count,
    name: props.tableName,
    billingMode: "PAY_PER_REQUEST",
    hashKey: keys.partitionKey,
    rangeKey: keys.sortKey,
    attribute: [keys.partitionKey, ...(keys.sortKey === undefined ? [] : [keys.sortKey])].map((name) => ({ name, type: "S" })),
    ttl: { attributeName: ttlAttribute, enabled: true },
    pointInTimeRecovery: { enabled: props.pointInTimeRecovery ?? false },
    serverSideEncryption: { enabled: true, kmsKeyArn: props.kmsKeyArn },
    deletionProtectionEnabled: false,
    tags: props.tags ?? {},
  });
  if (props.dataRoleArns !== undefined) {
    const arn = keys.count === undefined ? table.arn : Fn.lookupNested(table.fqn, ["0", "arn"]);
    new DynamodbResourcePolicy(scope, "resource-policy", {
      count: keys.count,
      resourceArn: arn,
      policy: policyDocument([denyDataToOthers(arn, props.dataRoleArns)]),
    });
  }
  return table;
}

/**
 * Every DynamoDB action that reads or writes items, or copies them out of the table (exports and
 * backups): what the tables' resource policies deny to every principal but the kit's roles.
 */
export const TABLE_DATA_ACTIONS = [
  "dynamodb:GetItem",
  "dynamodb:BatchGetItem",
  "dynamodb:Query",
  "dynamodb:Scan",
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "dynamodb:DeleteItem",
  "dynamodb:BatchWriteItem",
  "dynamodb:ConditionCheckItem",
  "dynamodb:PartiQLSelect",
  "dynamodb:PartiQLInsert",
  "dynamodb:PartiQLUpdate",
  "dynamodb:PartiQLDelete",
  "dynamodb:ExportTableToPointInTime",
  "dynamodb:CreateBackup",
];

/**
 * The resource policy statement of a kit table: deny item reads, writes, exports and backups to every
 * principal whose ARN (the role behind a session) is not one of `roleArns`. Table management (and
 * changing this policy) stays with IAM, so the deployer cannot lock itself out.
 */
export function denyDataToOthers(tableArn: string, roleArns: string[]): PolicyStatement {
  return {
    Sid: "OnlyKitRolesTouchItems",
    Effect: "Deny",
    Principal: "*",
    Action: TABLE_DATA_ACTIONS,
    Resource: [tableArn, `${tableArn}/*`],
    Condition: { ArnNotEquals: { "aws:PrincipalArn": roleArns } },
  };
}
