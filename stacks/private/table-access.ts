import type { PolicyStatement } from "./iam.js";

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
