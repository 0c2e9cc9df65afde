import { Construct } from "constructs";
import { IamRolePolicy, type DynamodbTable, type IamRole } from "./aws.js";
import { policyDocument, runnerCredentialsCondition } from "./private/iam.js";
import { kitTable, type KitTableProps } from "./private/table-access.js";
import type { NodejsFunction } from "./nodejs-function.js";

/** Props of {@link RunnersTable}. */
export type RunnersTableProps = KitTableProps;

/**
 * The runners table (docs/contracts.md): one item per launched instance, keyed by instance ARN,
 * carrying the runner's just-in-time configuration until the instance has read it. On-demand
 * billing; items expire through TTL on `expiresAt`.
 */
export class RunnersTable extends Construct {
  readonly table: DynamodbTable;

  constructor(scope: Construct, id: string, props: RunnersTableProps) {
    super(scope, id);
    this.table = kitTable(this, props, "expiresAt");
  }

  /**
   * Lets `fn` manage runner items: dynamodb:GetItem, PutItem, UpdateItem, DeleteItem,
   * BatchWriteItem, Scan on this table only.
   */
  grantReadWrite(fn: NodejsFunction): void {
    fn.addToRolePolicy("runners-table", [
      {
        Sid: "ManageRunnerItems",
        Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:Scan"],
        Resource: this.table.arn,
      },
    ]);
  }

  /**
   * Lets runner instances read and clear their own item only: dynamodb:GetItem of `jitConfig` (and
   * `jobKey`, for log correlation) and
   * UpdateItem of `jitConfig` (no other attribute, nothing returned) where the key equals the calling
   * instance's ARN (`${ec2:SourceInstanceARN}`), with credentials of an instance in `vpcId` used from
   * that instance's address when the request comes through a VPC endpoint (issue 18, findings 7 and 10).
   */
  grantOwnItem(role: IamRole, vpcId: string): void {
    const ownKey = { "dynamodb:LeadingKeys": ["${ec2:SourceInstanceARN}"] };
    const fromOwnInstance = runnerCredentialsCondition(vpcId);
    new IamRolePolicy(this, "runner-own-item", {
      role: role.id,
      name: "runner-own-item",
      policy: policyDocument([
        {
          Sid: "ReadOwnRunnerConfig",
          Action: ["dynamodb:GetItem"],
          Resource: this.table.arn,
          Condition: {
            ...fromOwnInstance,
            "ForAllValues:StringEquals": { ...ownKey, "dynamodb:Attributes": ["pk", "jitConfig", "jobKey"] },
            StringEqualsIfExists: { ...fromOwnInstance.StringEqualsIfExists, "dynamodb:Select": "SPECIFIC_ATTRIBUTES" },
          },
        },
        {
          // IAM cannot tell SET from REMOVE; limited to jitConfig, the runner cannot touch what the control plane reads.
          Sid: "ClearOwnRunnerConfig",
          Action: ["dynamodb:UpdateItem"],
          Resource: this.table.arn,
          Condition: {
            ...fromOwnInstance,
            // The key attribute must be listed too, or DynamoDB refuses the update (dynamodb:Attributes must
            // name the table's key attributes); a key cannot be changed by UpdateItem, so pk adds no write.
            "ForAllValues:StringEquals": { ...ownKey, "dynamodb:Attributes": ["pk", "jitConfig"] },
            StringEqualsIfExists: { ...fromOwnInstance.StringEqualsIfExists, "dynamodb:ReturnValues": "NONE" },
          },
        },
      ]),
    });
  }
}
