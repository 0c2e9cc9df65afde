/**
 * The caller directory: the runners table item of the caller's instance (its registration scope and
 * launch job), the ledger's `runner#<name>` pointer (the job the runner took, from `in_progress`) and
 * the job records behind both.
 */
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { runnerKey } from "../../libs/ledger/phases.js";
import type { CallerJob } from "../caller.js";
import type { CallerDirectory } from "../ports.js";

export function dynamoDbCallers(client: DynamoDBDocumentClient, runnersTable: string, jobsTable: string, now: () => Date = () => new Date()): CallerDirectory {
  const get = async (table: string, pk: string): Promise<Record<string, unknown> | undefined> =>
    (await client.send(new GetCommand({ TableName: table, Key: { pk }, ConsistentRead: true }))).Item;
  const job = async (key: unknown): Promise<CallerJob | undefined> => {
    if (typeof key !== "string") return undefined;
    const record = await get(jobsTable, key);
    if (record === undefined) return undefined;
    const text = (name: string): string | undefined => (typeof record[name] === "string" && record[name] !== "" ? (record[name] as string) : undefined);
    const installationId = typeof record.installationId === "number" ? record.installationId : undefined;
    const fields = { repository: text("repository"), headBranch: text("headBranch"), defaultBranch: text("defaultBranch"), ranOn: text("ranOn"), installationId };
    return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as CallerJob;
  };
  return async (instanceArn, runnerName) => {
    const runner = await get(runnersTable, instanceArn);
    if (runner === undefined || typeof runner.owner !== "string" || runner.owner === "") return undefined;
    // DynamoDB's TTL deletes late (up to days): an item past its expiry counts as gone.
    if (typeof runner.expiresAt === "number" && runner.expiresAt * 1000 < now().getTime()) return undefined;
    const pointer = await get(jobsTable, runnerKey(runnerName));
    const [ranJob, launchedFor] = await Promise.all([job(pointer?.job), job(runner.jobKey)]);
    return { scope: runner.owner, runnerName, ...(ranJob === undefined ? {} : { ranJob }), ...(launchedFor === undefined ? {} : { launchedFor }) };
  };
}
