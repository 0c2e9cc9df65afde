import { BatchGetCommand } from "@aws-sdk/lib-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { governorKey, keptTurnKey } from "../../libs/governor/port.js";
import type { KeptTurn, WriteGovernor } from "../../libs/governor/port.js";
import { budgetFromItem } from "../../libs/ledger/dynamodb-counters.js";
import type { BudgetStore } from "../../libs/ledger/port.js";
import { budgetKey } from "../../libs/ledger/types.js";
import type { BudgetRecord } from "../../libs/ledger/types.js";

/** What a batch reads before it decides anything: the Apps' shared budgets and the turns its redelivered messages kept. */
export interface BatchStart {
  readonly budgets: BudgetRecord[];
  readonly turns: Map<string, KeptTurn>;
  /** Each App's write bucket as read (`fullAt`, epoch ms): which reservation form to try first. */
  readonly lines: Map<number, number>;
}

/** Reads a batch's start; a failed read rejects (the batch then decides with neither: budgets unknown, no kept turns). */
export type ReadBatchStart = (appIds: readonly number[], redeliveredMessageIds: readonly string[]) => Promise<BatchStart>;

/** BatchGetItem's limit, and its calls for what DynamoDB leaves unprocessed. */
const BATCH_GET_MAX = 100;
const BATCH_GET_ATTEMPTS = 3;

/**
 * All are items of the ledger table (`budget#<app>`, `turn#<message id>`, `governor#<app>`): ONE
 * BatchGetItem reads them, instead of a budget read per batch plus a turn read per redelivered batch;
 * the buckets come along for free and spare a cold environment's first reservation a wrong guess.
 */
export function dynamoDbBatchStart(client: DynamoDBDocumentClient, tableName: string): ReadBatchStart {
  return async (appIds, messageIds) => {
    const budgets: BudgetRecord[] = [];
    const turns = new Map<string, KeptTurn>();
    const lines = new Map<number, number>();
    // Each key's item, known before the read: a budget, a bucket or a kept turn.
    const budgetKeys = new Set(appIds.map(budgetKey));
    const lineApps = new Map(appIds.map((appId) => [governorKey(appId), appId]));
    const turnMessages = new Map(messageIds.map((id) => [keptTurnKey(id), id]));
    const keys = [...budgetKeys, ...lineApps.keys(), ...turnMessages.keys()].map((pk) => ({ pk }));
    for (let start = 0; start < keys.length; start += BATCH_GET_MAX) {
      let pending: Array<Record<string, unknown>> = keys.slice(start, start + BATCH_GET_MAX);
      for (let attempt = 0; pending.length > 0 && attempt < BATCH_GET_ATTEMPTS; attempt += 1) {
        const response = await client.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending } } }));
        for (const item of response.Responses?.[tableName] ?? []) {
          const pk = String(item.pk);
          const message = turnMessages.get(pk);
          const lineApp = lineApps.get(pk);
          if (message !== undefined) turns.set(message, { appId: Number(item.appId), at: Number(item.at) });
          else if (lineApp !== undefined) lines.set(lineApp, Number(item.fullAt));
          else if (budgetKeys.has(pk)) budgets.push(budgetFromItem(item));
        }
        pending = response.UnprocessedKeys?.[tableName]?.Keys ?? [];
      }
    }
    return { budgets, turns, lines };
  };
}

/** The same from the two stores separately (the memory stores of tests and the fault world's doubles). */
export function separateBatchStart(budgets: BudgetStore, governor: WriteGovernor | undefined): ReadBatchStart {
  return async (appIds, messageIds) => ({
    budgets: await budgets.load(appIds),
    turns: governor === undefined || messageIds.length === 0 ? new Map() : await governor.keptTurns(messageIds),
    lines: new Map(),
  });
}
