import { Construct } from "constructs";
import type { DynamodbTable } from "./aws.js";
import { kitTable, type KitTableProps } from "./private/table-access.js";
import type { NodejsFunction } from "./nodejs-function.js";

/** Props of {@link JobLedger}. */
export type JobLedgerProps = KitTableProps;

/**
 * The job ledger (docs/reliability.md): one item per job attempt with its phase, changed only by
 * conditional writes (which also record the webhook deliveries that moved them), plus the limit
 * counters and the GitHub budget records. On-demand billing; items expire through TTL on `expiration`.
 */
export class JobLedger extends Construct {
  readonly table: DynamodbTable;

  constructor(scope: Construct, id: string, props: JobLedgerProps) {
    super(scope, id);
    this.table = kitTable(this, props, "expiration");
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
