import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import type { AwsJsonCall } from "./aws-json.js";

/** The document client's fields holding items or attribute values, per command the ledger sends. */
const SIGNED = [
  { command: GetCommand, operation: "GetItem", input: ["Key"], output: ["Item"] },
  { command: PutCommand, operation: "PutItem", input: ["Item", "ExpressionAttributeValues"], output: ["Attributes"] },
  { command: UpdateCommand, operation: "UpdateItem", input: ["Key", "ExpressionAttributeValues"], output: ["Attributes"] },
  { command: DeleteCommand, operation: "DeleteItem", input: ["Key", "ExpressionAttributeValues"], output: ["Attributes"] },
] as const;

/** Legacy parameters whose nested values the document client also marshals: left to it. */
const LEGACY_INPUTS = ["Expected", "AttributeUpdates", "KeyConditions", "QueryFilter", "ScanFilter"];

/** DynamoDB's errors with the `retryable` trait (the client's exception classes set `$retryable`). */
export const DYNAMODB_RETRYABLE_ERRORS = ["ReplicatedWriteConflictException"] as const;

type DocumentCommand = Parameters<DynamoDBDocumentClient["send"]>[0];

/**
 * A DynamoDB document client for the webhook's ledger: GetItem, PutItem, UpdateItem and DeleteItem go
 * out as signed awsJson calls (aws-json.ts), marshalled with the SDK's `@aws-sdk/util-dynamodb` as
 * `DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } })` does;
 * any other command goes to `fallback()`, that SDK document client. Errors keep the SDK's shape (`name`,
 * e.g. ConditionalCheckFailedException, `$metadata`, and the answer's fields, `Item` still marshalled
 * as the document client leaves it). Written by hand for the CPU (aws-json.ts says why).
 */
export function signedDocumentClient(call: AwsJsonCall, fallback: () => DynamoDBDocumentClient): DynamoDBDocumentClient {
  const send = async (command: DocumentCommand): Promise<unknown> => {
    const signed = SIGNED.find((entry) => command instanceof entry.command);
    const input = command.input as Record<string, unknown>;
    if (signed === undefined || LEGACY_INPUTS.some((name) => input[name] !== undefined)) return fallback().send(command);
    const request: Record<string, unknown> = { ...input };
    for (const field of signed.input) {
      const value = input[field];
      if (value !== undefined) request[field] = marshall(value as Record<string, unknown>, { removeUndefinedValues: true });
    }
    const output = await call(`DynamoDB_20120810.${signed.operation}`, request);
    for (const field of signed.output) {
      const value = output[field];
      if (value !== undefined) output[field] = unmarshall(value as Parameters<typeof unmarshall>[0]);
    }
    return output;
  };
  // Only `send` is read by the ledger stores (lambdas/libs/ledger/dynamodb-*.ts).
  return { send } as unknown as DynamoDBDocumentClient;
}
