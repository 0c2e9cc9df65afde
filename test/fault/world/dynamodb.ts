import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { startDynalite } from "../../helpers/dynalite.js";
import type { LocalDynamoDb } from "../../helpers/dynalite.js";
import { DynamoDbFaults } from "./dynamodb-faults.js";
import { callTraceOn, traceCall } from "./call-trace.js";
import { invocationOf } from "./invocations.js";
import type { Invocation } from "./invocations.js";

/**
 * DynamoDB for the world: dynalite (a real DynamoDB-protocol server) served from a loopback server that
 * the handlers reach through AWS_ENDPOINT_URL_DYNAMODB. That server refuses the requests of a killed
 * invocation and reports the scale-up side effects it sees, so the world can crash the invocation
 * right after one of them.
 */

export type LedgerSideEffect = "claim" | "mark-launched" | "runner-item";

export class WorldDynamoDb {
  readonly calls = { total: 0, refused: 0 };
  /** Stale reads, throttling and 5xx (world/dynamodb-faults.ts); off unless a scenario sets them. */
  readonly faults = new DynamoDbFaults();
  /** Called after a successful write that is one of scale-up's side effects. */
  onSideEffect: (what: LedgerSideEffect, invocation: Invocation | undefined) => void = () => undefined;
  /** Called before forwarding; return a reason to refuse (500) the request. */
  refuse: (invocation: Invocation | undefined) => string | undefined = () => undefined;
  private server: Server | undefined;

  private constructor(
    readonly local: LocalDynamoDb,
    private readonly runnersTable: string,
  ) {}

  static async start(tables: { jobs: string; runners: string }): Promise<{ db: WorldDynamoDb; endpoint: string }> {
    const local = await startDynalite();
    await local.createTable(tables.jobs);
    await local.createTable(tables.runners);
    const db = new WorldDynamoDb(local, tables.runners);
    const endpoint = await db.listen();
    return { db, endpoint };
  }

  private async listen(): Promise<string> {
    // dynalite's own request handler, served from this server: the refusals and the side effects are
    // seen here without a second HTTP hop.
    const dynalite = this.local.server.listeners("request")[0] as (req: IncomingMessage, res: ServerResponse) => void;
    this.server = createServer((req, res) => {
      this.calls.total += 1;
      const invocation = invocationOf(req.headers);
      const refused = this.refuse(invocation);
      if (refused !== undefined) {
        this.calls.refused += 1;
        req.resume();
        res.writeHead(500, { "content-type": "application/x-amz-json-1.0" });
        res.end(JSON.stringify({ __type: "com.amazonaws.dynamodb.v20120810#InternalServerError", message: refused }));
        return;
      }
      const target = String(req.headers["x-amz-target"] ?? "");
      if (callTraceOn) traceBodies(req, res, `${invocation?.id ?? "-"} ${target}`);
      if (invocation !== undefined && invocation.fn.startsWith("scale-up") && /\.(UpdateItem|PutItem|BatchWriteItem)$/.test(target)) {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
        res.end = ((...args: unknown[]) => {
          const answered = end(...args);
          if (res.statusCode === 200) this.observe(target, Buffer.concat(chunks), invocation);
          return answered;
        }) as typeof res.end;
      }
      if (this.faults.active) {
        const body: Buffer[] = [];
        req.on("data", (c: Buffer) => body.push(c));
        req.on("end", () => this.faults.serve(req, Buffer.concat(body), res, invocation, Date.now(), dynalite));
        return;
      }
      dynalite(req, res);
    });
    // Keep idle sockets open: Node closes them after 5 s by default, and a client reusing one at that instant on a loaded machine gets ECONNRESET.
    this.server.keepAliveTimeout = 0;
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private observe(target: string, body: Buffer, invocation: Invocation | undefined): void {
    if (invocation === undefined || !invocation.fn.startsWith("scale-up")) return;
    const operation = target.split(".")[1];
    if (operation !== "UpdateItem" && operation !== "PutItem" && operation !== "BatchWriteItem") return;
    const input = JSON.parse(body.toString("utf8")) as {
      ExpressionAttributeNames?: Record<string, string>;
      RequestItems?: Record<string, unknown>;
    };
    const names = Object.values(input.ExpressionAttributeNames ?? {});
    if (operation === "UpdateItem" && names.includes("launchAttempts")) this.onSideEffect("claim", invocation);
    else if (operation === "UpdateItem" && names.includes("launchedAt")) this.onSideEffect("mark-launched", invocation);
    else if (operation === "BatchWriteItem" && input.RequestItems?.[this.runnersTable] !== undefined) this.onSideEffect("runner-item", invocation);
  }

  /** The server the handlers reach, once listening (the call scheduler holds requests at it). */
  get httpServer(): Server | undefined {
    return this.server;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server === undefined ? resolve() : this.server.close(() => resolve())));
    await this.local.close();
    await this.faults.stop();
  }
}

/** FAULT_TRACE_CALLS: a DynamoDB call's body and answer, when it is answered (call-trace.ts). */
function traceBodies(req: IncomingMessage, res: ServerResponse, what: string): void {
  const body: Buffer[] = [];
  const answer: string[] = [];
  req.on("data", (chunk: Buffer) => body.push(chunk));
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.write = ((...args: unknown[]) => (answer.push(String(args[0])), write(...args))) as typeof res.write;
  res.end = ((...args: unknown[]) => {
    if (args[0] !== undefined && typeof args[0] !== "function") answer.push(String(args[0]));
    traceCall(() => `${new Date(Date.now()).toISOString().slice(11, 19)} ${what} ${Buffer.concat(body).toString("utf8")} => ${res.statusCode} ${answer.join("")}`);
    return end(...args);
  }) as typeof res.end;
}
