import { createHash } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One recorded AWS call: the `X-Amz-Target` operation and its JSON input. */
export interface AwsCall {
  readonly target: string;
  readonly input: Record<string, unknown>;
}

/** What an operation may know of the HTTP request besides its input. */
export interface AwsRequestInfo {
  readonly headers: IncomingHttpHeaders;
}

/**
 * Answers one operation: return the JSON output (or, for EC2, the XML string), or throw an AwsFault.
 * May be async (a model that awaits another server, e.g. a fault-injection world).
 */
export type AwsOperation = (input: Record<string, unknown>, request: AwsRequestInfo) => unknown;

/** Runs before every operation; throw an AwsFault to refuse the call (fault injection). */
export type AwsInterceptor = (call: AwsCall, request: AwsRequestInfo) => void;

/** An AWS error answer (`__type` and HTTP status) for a fake operation to throw. */
export class AwsFault extends Error {
  constructor(
    readonly type: string,
    readonly status = 400,
    /** The error message; defaults to the type. */
    detail?: string,
  ) {
    super(detail ?? type);
  }
}

/**
 * A loopback endpoint for the AWS JSON protocols (SSM, SQS, DynamoDB) and the EC2 query protocol
 * (form-encoded `Action=...` in, XML out; scripted as target `EC2.<Action>` returning an XML string),
 * for tests that run the shipped
 * zips: the SDK inside a zip is its own bundled copy, which aws-sdk-client-mock cannot reach, so the
 * real SDK talks HTTP to 127.0.0.1 and this answers the few operations a test scripts. Written by hand
 * because no maintained emulator of these services runs in-process without Docker or a JVM.
 */
export class LoopbackAws {
  readonly calls: AwsCall[] = [];
  /** Errors thrown by operations that were not AwsFaults (bugs in a fake): answered 500, kept here for the test. */
  readonly errors: unknown[] = [];
  private readonly server: Server;
  private readonly operations = new Map<string, AwsOperation>();
  private readonly interceptors: AwsInterceptor[] = [];

  /** `record: false` keeps no call log (long simulations). */
  constructor(private readonly options: { readonly record?: boolean } = {}) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        void this.answer(req.headers, Buffer.concat(chunks).toString("utf8")).then(({ status, contentType, text }) => {
          res.writeHead(status, { "content-type": contentType, "x-amzn-requestid": `req-${this.calls.length}` });
          res.end(text);
        });
      });
    });
  }

  private async answer(headers: IncomingHttpHeaders, text: string): Promise<{ status: number; contentType: string; text: string }> {
    const query = String(headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded");
    const input = query ? Object.fromEntries(new URLSearchParams(text)) : (JSON.parse(text || "{}") as Record<string, unknown>);
    const target = query ? `EC2.${String(input.Action)}` : String(headers["x-amz-target"] ?? "");
    const call = { target, input };
    if (this.options.record !== false) this.calls.push(call);
    const operation = this.operations.get(target);
    let status = 200;
    let output: unknown;
    try {
      for (const intercept of this.interceptors) intercept(call, { headers });
      if (!operation) throw new AwsFault("UnknownOperationException");
      output = await operation(input, { headers });
    } catch (error) {
      const fault = error instanceof AwsFault ? error : new AwsFault("InternalFailure", 500);
      if (!(error instanceof AwsFault)) this.errors.push(error);
      status = fault.status;
      output = { __type: fault.type, message: fault.message };
    }
    if (query && status !== 200) {
      const { __type: code, message } = output as { __type: string; message: string };
      output = `<Response><Errors><Error><Code>${code}</Code><Message>${message === code ? "fake" : escapeXml(message)}</Message></Error></Errors><RequestID>r</RequestID></Response>`;
    }
    return { status, contentType: query ? "text/xml;charset=UTF-8" : "application/x-amz-json-1.0", text: query ? String(output) : JSON.stringify(output) };
  }

  /** The HTTP server (the fault world's call scheduler holds requests at it). */
  get httpServer(): Server {
    return this.server;
  }

  /** Starts listening on an ephemeral loopback port; returns the endpoint URL. */
  async start(): Promise<string> {
    // Keep idle sockets open: Node closes them after 5 s by default, and a client reusing one at that instant on a loaded machine gets ECONNRESET.
    this.server.keepAliveTimeout = 0;
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    // Keep-alive sockets of the SDK clients would hold the server open.
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((e) => (e ? reject(e) : resolve())));
  }

  /** Scripts the answer of `target`, e.g. "AmazonSQS.SendMessage". */
  on(target: string, operation: AwsOperation): this {
    this.operations.set(target, operation);
    return this;
  }

  /** Adds a hook that sees every call first and may refuse it. */
  intercept(interceptor: AwsInterceptor): this {
    this.interceptors.push(interceptor);
    return this;
  }

  /** The inputs of every call of `target` so far. */
  inputsOf(target: string): Record<string, unknown>[] {
    return this.calls.filter((c) => c.target === target).map((c) => c.input);
  }
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/**
 * The SDK's per-service endpoint variables, `AWS_ENDPOINT_URL_<service id>` (upper case, spaces as
 * `_`), which win over AWS_ENDPOINT_URL: e.g. `{ SQS: a, SSM: a, DynamoDB: b }` sends DynamoDB to b.
 */
export function serviceEndpointEnv(endpoints: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(endpoints).map(([serviceId, url]) => [`AWS_ENDPOINT_URL_${serviceId.toUpperCase().replace(/ /g, "_")}`, url]),
  );
}

/** Answers `AmazonSSM.GetParameter` (decrypted) from a name-to-value map; unknown names are ParameterNotFound. */
export function answerGetParameter(values: Readonly<Record<string, string>>): AwsOperation {
  return (input) => {
    const name = String(input.Name);
    const value = values[name];
    if (value === undefined) throw new AwsFault("ParameterNotFound");
    return { Parameter: { Name: name, Type: "SecureString", Value: value, Version: 1 } };
  };
}

/** Answers `AmazonSQS.SendMessage` with the body's MD5, which the SDK checks against what it sent. */
export function answerSendMessage(): AwsOperation {
  let sent = 0;
  return (input) => ({
    MessageId: `m-${(sent += 1)}`,
    MD5OfMessageBody: createHash("md5").update(String(input.MessageBody)).digest("hex"),
    SequenceNumber: String(sent),
  });
}
