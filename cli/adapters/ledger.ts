import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { dynamoDbLedger } from "../../lambdas/libs/ledger/dynamodb-store.js";
import { budgetFromItem } from "../../lambdas/libs/ledger/dynamodb-counters.js";
import { normalize } from "../../lambdas/libs/ledger/dynamodb-update.js";
import type { BudgetRecord, JobRecord } from "../../lambdas/libs/ledger/types.js";

/** What the CLI reads from the job ledger table in one paged scan. */
export interface LedgerContents {
  /** Every GitHub job attempt the table holds (terminal ones stay a day); warm-pool items are left out. */
  readonly jobs: readonly JobRecord[];
  /** The newest GitHub budget observation per App (`budget#<appId>` items). */
  readonly budgets: readonly BudgetRecord[];
}

/** Scans the whole ledger table (jobs, counters, pointers, budgets) once and keeps jobs and budgets. */
export async function scanLedger(client: DynamoDBDocumentClient, tableName: string): Promise<LedgerContents> {
  const jobs: JobRecord[] = [];
  const budgets: BudgetRecord[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey }));
    for (const item of page.Items ?? []) {
      const pk = String(item.pk);
      if (pk.startsWith("job#")) jobs.push(normalize(item as JobRecord));
      else if (pk.startsWith("budget#")) {
        budgets.push(budgetFromItem(item));
      }
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  budgets.sort((a, b) => a.appId - b.appId);
  return { jobs, budgets };
}

/** One job record by ledger key (a consistent read, through the ledger store). */
export function ledgerReader(client: DynamoDBDocumentClient, tableName: string): (key: string) => Promise<JobRecord | undefined> {
  const ledger = dynamoDbLedger(client, tableName);
  return (key) => ledger.get(key);
}
