import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { normalize } from "./dynamodb-update.js";
import { ACTIVE_PHASES } from "./phases.js";
import type { JobRecord, LedgerSnapshot } from "./types.js";

/**
 * The reconciler's one paged scan: non-terminal jobs plus failed interrupted jobs not yet re-run, idle
 * sightings, and counter values. Strongly consistent, like the counter read before it: an eventually
 * consistent scan can miss a claim or launch of the last moments, and the recount would then set a
 * counter below the runners it counts (the fault suite's stale-read scenario, docs/reliability.md).
 */
export async function scanSnapshot(client: DynamoDBDocumentClient, tableName: string): Promise<LedgerSnapshot> {
  const jobs: JobRecord[] = [];
  const idleSeen = new Map<string, Date>();
  const counters = new Map<string, number>();
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: startKey }));
    for (const item of page.Items ?? []) {
      const pk = String(item.pk);
      if (pk.startsWith("job#") || pk.startsWith("warm#")) {
        const job = normalize(item as JobRecord);
        const open = (ACTIVE_PHASES as readonly string[]).includes(job.phase);
        if (open || (job.phase === "failed" && job.interrupted === true && job.rerunRequested !== true)) jobs.push(job);
      } else if (pk.startsWith("idle#")) {
        idleSeen.set(pk.slice("idle#".length), new Date(String(item.seenAt)));
      } else if (pk.startsWith("limit#")) {
        counters.set(pk, Number(item.inUse ?? 0));
      }
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return { jobs, idleSeen, counters };
}

/** Every job in a non-terminal phase, across scan pages. */
export async function scanActiveJobs(client: DynamoDBDocumentClient, tableName: string): Promise<JobRecord[]> {
  const jobs: JobRecord[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: tableName,
        ConsistentRead: true,
        FilterExpression: `begins_with(#pk, :job) AND #phase IN (${ACTIVE_PHASES.map((_, i) => `:p${i}`).join(", ")})`,
        ExpressionAttributeNames: { "#pk": "pk", "#phase": "phase" },
        ExpressionAttributeValues: { ":job": "job#", ...Object.fromEntries(ACTIVE_PHASES.map((p, i) => [`:p${i}`, p])) },
        ExclusiveStartKey: startKey,
      }),
    );
    jobs.push(...((page.Items ?? []) as JobRecord[]).map(normalize));
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return jobs;
}
