import http from "node:http";
import { Readable } from "node:stream";
import type { IncomingMessage, ServerResponse } from "node:http";
import { startDynalite } from "../../helpers/dynalite.js";
import type { LocalDynamoDb } from "../../helpers/dynalite.js";
import type { Invocation } from "./invocations.js";

/**
 * DynamoDB as it behaves under load, for the world's DynamoDB server (world/dynamodb.ts):
 * - eventually consistent reads (DynamoDB Developer Guide, "Read consistency"): a Scan, Query or
 *   GetItem that does not ask for `ConsistentRead` is answered by a replica that applies every
 *   successful write `replicaLagMs` late, in order, so it sees the table as it was that long ago;
 * - throttling and server errors on any call: `ProvisionedThroughputExceededException` and
 *   `ThrottlingException` (400) or `InternalServerError` (500), which the SDK retries with back-off.
 * Off until a scenario sets it; the default path forwards requests untouched.
 */

export type DynamoDbFailure = "provisioned-throughput" | "throttling" | "server-error";

const WRITES = new Set(["PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"]);
const READS = new Set(["Scan", "Query", "GetItem", "BatchGetItem"]);

const FAILURE_ANSWERS: Record<DynamoDbFailure, { status: number; type: string; message: string }> = {
  "provisioned-throughput": {
    status: 400,
    type: "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
    message: "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.",
  },
  throttling: { status: 400, type: "com.amazon.coral.availability#ThrottlingException", message: "Rate of requests exceeds the allowed throughput." },
  "server-error": { status: 500, type: "com.amazonaws.dynamodb.v20120810#InternalServerError", message: "Internal server error" },
};

export class DynamoDbFaults {
  /** Refuses a handler's call with this failure (undefined: answered). */
  failCall: ((call: { readonly operation: string; readonly invocation: Invocation }) => DynamoDbFailure | undefined) | undefined;
  readonly counts = { staleReads: 0, replicated: 0, "provisioned-throughput": 0, throttling: 0, "server-error": 0 };
  /** Eventually consistent reads answered while a write to their table was still on its way. */
  readonly staleReadsByOperation = new Map<string, number>();
  private replica: LocalDynamoDb | undefined;
  private replicaLagMs = 0;
  private readonly pending: Array<{ at: number; headers: http.OutgoingHttpHeaders; body: Buffer; table: string }> = [];

  /** Whether requests must be read before they are forwarded. */
  get active(): boolean {
    return this.replica !== undefined || this.failCall !== undefined;
  }

  /** Starts the lagging replica with the same tables. */
  async lagReads(lagMs: number, tables: readonly string[]): Promise<void> {
    this.replica = await startDynalite();
    for (const table of tables) await this.replica.createTable(table);
    this.replicaLagMs = lagMs;
  }

  /**
   * Handles a request whose body was read: refuses it, sends an eventually consistent read to the
   * replica, or forwards it to `primary` (remembering successful writes for the replica).
   */
  serve(req: IncomingMessage, body: Buffer, res: ServerResponse, invocation: Invocation | undefined, now: number, primary: (req: IncomingMessage, res: ServerResponse) => void): void {
    const operation = String(req.headers["x-amz-target"] ?? "").split(".")[1] ?? "";
    const failure = invocation === undefined ? undefined : this.failCall?.({ operation, invocation });
    if (failure !== undefined) {
      this.counts[failure] += 1;
      const answer = FAILURE_ANSWERS[failure];
      res.writeHead(answer.status, { "content-type": "application/x-amz-json-1.0" });
      res.end(JSON.stringify({ __type: answer.type, message: answer.message }));
      return;
    }
    const replay = (): IncomingMessage => Object.assign(Readable.from([body]), { headers: req.headers, method: req.method, url: req.url }) as unknown as IncomingMessage;
    const input = JSON.parse(body.toString("utf8") || "{}") as { TableName?: string; ConsistentRead?: boolean; RequestItems?: Record<string, { ConsistentRead?: boolean }> };
    const consistent = input.ConsistentRead === true || (operation === "BatchGetItem" && Object.values(input.RequestItems ?? {}).every((r) => r.ConsistentRead === true));
    if (this.replica !== undefined && READS.has(operation) && !consistent) {
      if (this.pending.some((write) => write.table === input.TableName || input.RequestItems?.[write.table] !== undefined)) {
        this.counts.staleReads += 1;
        this.staleReadsByOperation.set(operation, (this.staleReadsByOperation.get(operation) ?? 0) + 1);
      }
      (this.replica.server.listeners("request")[0] as (req: IncomingMessage, res: ServerResponse) => void)(replay(), res);
      return;
    }
    if (this.replica !== undefined && WRITES.has(operation)) {
      const tables = input.TableName !== undefined ? [input.TableName] : Object.keys(input.RequestItems ?? {});
      const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
      res.end = ((...args: unknown[]) => {
        if (res.statusCode === 200) for (const table of tables.length > 0 ? tables : [""]) this.pending.push({ at: now + this.replicaLagMs, headers: forwardable(req.headers), body, table });
        return end(...args);
      }) as typeof res.end;
    }
    primary(replay(), res);
  }

  /** Applies to the replica, in order, every write that is old enough. */
  async replicate(now: number): Promise<void> {
    const replica = this.replica;
    if (replica === undefined) return;
    const seen = new Set<Buffer>();
    while (this.pending.length > 0 && (this.pending[0] as { at: number }).at <= now) {
      const write = this.pending.shift() as (typeof this.pending)[number];
      // A write to several tables is queued once per table: apply it once.
      if (seen.has(write.body)) continue;
      seen.add(write.body);
      await post(replica.endpoint, write.headers, write.body);
      this.counts.replicated += 1;
    }
  }

  async stop(): Promise<void> {
    await this.replica?.close();
  }
}

function forwardable(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const { host: _host, "content-length": _length, connection: _connection, ...rest } = headers;
  return rest;
}

async function post(endpoint: string, headers: http.OutgoingHttpHeaders, body: Buffer): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const request = http.request(endpoint, { method: "POST", headers: { ...headers, "content-length": body.length } }, (response) => {
      response.resume();
      response.on("end", resolve);
    });
    request.on("error", reject);
    request.end(body);
  });
}
