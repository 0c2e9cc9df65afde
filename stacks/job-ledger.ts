import { Construct } from "constructs";
import { DynamodbResourcePolicy, DynamodbTable } from "./aws.js";
import { policyDocument } from "./private/iam.js";
import { denyDataToOthers } from "./private/table-access.js";
import type { NodejsFunction } from "./nodejs-function.js";

/** Props of {@link JobLedger}. */
export interface JobLedgerProps {
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

/**
 * The job ledger (docs/reliability.md): one item per job attempt with its phase, changed only by
 * conditional writes, plus the limit counters, the GitHub budget records and Powertools idempotency
 * records of the webhook. On-demand billing; items expire through TTL on `expiration`, the attribute
 * Powertools idempotency writes.
 */
export class JobLedger extends Construct {
  readonly table: DynamodbTable;

  constructor(scope: Construct, id: string, props: JobLedgerProps) {
    super(scope, id);
    this.table = new DynamodbTable(this, "table", {
      name: props.tableName,
      billingMode: "PAY_PER_REQUEST",
      hashKey: "pk",
      attribute: [{ name: "pk", type: "S" }],
      ttl: { attributeName: "expiration", enabled: true },
      pointInTimeRecovery: { enabled: props.pointInTimeRecovery ?? false },
      serverSideEncryption: { enabled: true, kmsKeyArn: props.kmsKeyArn },
      deletionProtectionEnabled: false,
      tags: props.tags ?? {},
    });
    if (props.dataRoleArns !== undefined) {
      new DynamodbResourcePolicy(this, "resource-policy", {
        resourceArn: this.table.arn,
        policy: policyDocument([denyDataToOthers(this.table.arn, props.dataRoleArns)]),
      });
    }
  }

  /**
   * Lets `fn` read and change ledger items: dynamodb:GetItem, PutItem, UpdateItem, DeleteItem,
   * BatchGetItem and Scan on this table only (no table management, no BatchWriteItem).
   */
  grantReadWrite(fn: NodejsFunction): void {
    fn.addToRolePolicy("job-ledger", [
      {
        Sid: "UseJobLedger",
        Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchGetItem", "dynamodb:Scan"],
        Resource: this.table.arn,
      },
    ]);
  }
}
