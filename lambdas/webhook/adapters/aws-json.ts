import { loadConfig } from "@smithy/core/config";
import { isServerError, isThrottlingError, isTransientError } from "@smithy/core/retry";
import { postJson, sigV4Signer } from "./aws-http.js";
import type { AwsCredentialIdentity, Provider, RetryErrorInfo, RetryErrorType, RetryStrategyV2, SdkError } from "@smithy/types";

/**
 * What a signed call borrows from the SDK client it stands in for: that client's resolved config
 * (`client.config`), so region, credentials and the retry strategy (mode, attempts, back-off, retry
 * quota) are the client's own, defaults included.
 */
export interface ClientConfig {
  readonly region: () => Promise<string>;
  readonly credentials: () => Promise<AwsCredentialIdentity>;
  readonly retryStrategy: Provider<RetryStrategyV2 | object>;
}

/** An AWS error answer in the SDK's exception shape: `name`, `$fault`, `$metadata`, the body's fields. */
export class AwsServiceError extends Error {
  readonly $metadata: { readonly httpStatusCode: number; readonly requestId?: string; attempts?: number };
  readonly $fault: "client" | "server";
  constructor(name: string, message: string, statusCode: number, requestId: string | undefined, fields: Record<string, unknown>) {
    super(message);
    Object.assign(this, fields);
    this.name = name;
    this.$metadata = { httpStatusCode: statusCode, ...(requestId === undefined ? {} : { requestId }) };
    this.$fault = statusCode >= 500 ? "server" : "client";
  }
}

/** One awsJson operation: `X-Amz-Target`, the input, and where to send it when no endpoint variable is set. */
export type AwsJsonCall = (target: string, input: unknown, defaultEndpoint?: URL) => Promise<Record<string, unknown>>;

export interface AwsJsonOptions {
  /** SigV4 signing name and endpoint prefix, e.g. "dynamodb". */
  readonly service: string;
  /** The suffix of the SDK's service endpoint variable `AWS_ENDPOINT_URL_<suffix>`, e.g. "DYNAMODB". */
  readonly endpointVariable: string;
  /** "1.0" (DynamoDB, SQS) or "1.1" (SSM). */
  readonly jsonVersion: "1.0" | "1.1";
  /** Errors the service models with the `retryable` trait (the client's exception classes set `$retryable`). */
  readonly retryableErrors?: readonly string[];
}

/**
 * AWS's JSON protocol as one SigV4-signed POST per attempt (`sigV4Signer`, sent through the keep-alive
 * socket pool of aws-http.ts), retried by the SDK client's own retry strategy with the SDK retry middleware's
 * loop and error classification (throttling and transient errors, 5xx among them, retried after the
 * strategy's back-off while its quota lasts; anything else, e.g. ConditionalCheckFailedException,
 * thrown at once, in the SDK's exception shape).
 *
 * Written by hand, an exception to "libraries first": an SDK client runs a middleware stack per call
 * (endpoint ruleset, schema serde, user agent, logger, auth scheme selection, checksums) that cost
 * about 2 ms of CPU per call, most of the webhook's CPU per queued delivery against a 2 ms target
 * (docs/performance.md, "Webhook"). Left out because the webhook's calls never need them: FIPS and
 * dual-stack endpoints, endpoint settings from the shared config file (Lambda has none), clock-skew
 * correction, compression, `Retry-After` hints (DynamoDB and SQS send none), adaptive retry mode.
 */
export function awsJsonClient(config: ClientConfig, options: AwsJsonOptions): AwsJsonCall {
  const contentType = `application/x-amz-json-${options.jsonVersion}`;
  const retryable = new Set(options.retryableErrors ?? []);
  const endpointUrl = loadConfig<string | undefined>({
    environmentVariableSelector: (env) => env[`AWS_ENDPOINT_URL_${options.endpointVariable}`] ?? env.AWS_ENDPOINT_URL,
    configFileSelector: () => undefined,
    default: undefined,
  });
  // Resolved on the first call and kept, as the client's own providers keep them (the endpoint
  // variable's value, its memoized retry strategy): no await per call for what never changes.
  let configured: URL | null | undefined;
  let strategy: RetryStrategyV2 | undefined;
  let regional: URL | undefined;
  let sign: ReturnType<typeof sigV4Signer> | undefined;

  async function attempt(endpoint: URL, target: string, body: string): Promise<Record<string, unknown>> {
    sign ??= sigV4Signer(options.service, await config.region());
    const path = endpoint.pathname === "" ? "/" : endpoint.pathname;
    const headers = sign(await config.credentials(), endpoint.host, path, { "content-type": contentType, "x-amz-target": target }, body, new Date());
    headers["content-length"] = String(Buffer.byteLength(body));
    // A network failure rejects with Node's error and its `code` (ECONNRESET...), as the SDK's handler does.
    const answer = await postJson(endpoint, headers, body);
    if (answer.statusCode >= 200 && answer.statusCode < 300) return answer.text === "" ? {} : (JSON.parse(answer.text) as Record<string, unknown>);
    throw serviceError(target, answer.statusCode, answer.headers as Record<string, string | undefined>, answer.text, retryable);
  }

  return async (target, input, defaultEndpoint) => {
    if (configured === undefined) {
      const value = await endpointUrl();
      configured = value === undefined ? null : new URL(value);
    }
    const url = configured ?? defaultEndpoint ?? (regional ??= regionalEndpoint(options.service, await config.region()));
    const body = JSON.stringify(input);
    strategy ??= (await config.retryStrategy()) as RetryStrategyV2;
    // The SDK retry middleware's loop (@smithy/core/retry, retryMiddleware), which this strategy drives there.
    let token = await strategy.acquireInitialRetryToken("");
    for (;;) {
      try {
        const output = await attempt(url, target, body);
        strategy.recordSuccess(token);
        return output;
      } catch (error) {
        const info: RetryErrorInfo = { error: error as SdkError, errorType: retryErrorType(error as SdkError) };
        try {
          token = await strategy.refreshRetryTokenForRetry(token, info);
        } catch {
          throw error;
        }
        const delay = token.getRetryDelay();
        if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  };
}

/** Lambda sets no endpoint variable: the service's regional endpoint in the function's own partition. */
function regionalEndpoint(service: string, region: string): URL {
  return new URL(`https://${service}.${region}.amazonaws.com${region.startsWith("cn-") ? ".cn" : ""}`);
}

/**
 * The awsJson protocol's error: its type from `x-amzn-errortype` or the body's `__type`/`code`, without
 * the namespace ("com.amazonaws.dynamodb.v20120810#X") or the URL suffix ("X:http://..."), as the SDK's
 * deserializers name their exceptions.
 */
function serviceError(target: string, statusCode: number, headers: Record<string, string | undefined>, text: string, retryable: ReadonlySet<string>): AwsServiceError {
  let fields: Record<string, unknown> = {};
  try {
    fields = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // A proxy's HTML page or an empty body: the status says enough.
  }
  const type = String(headers["x-amzn-errortype"] ?? fields.__type ?? fields.code ?? `Http${statusCode}Error`);
  const name = type.split(":")[0]?.split("#").pop() || type;
  const { __type: _type, message, Message, ...rest } = fields;
  const error = new AwsServiceError(name, String(message ?? Message ?? `${target} answered ${statusCode}`), statusCode, headers["x-amzn-requestid"], rest);
  if (retryable.has(name)) Object.assign(error, { $retryable: {} });
  return error;
}

/** The SDK retry middleware's classification (`getRetryErrorType`; CLIENT_ERROR and SERVER_ERROR are not retried). */
export function retryErrorType(error: SdkError): RetryErrorType {
  if (isThrottlingError(error)) return "THROTTLING";
  if (isTransientError(error)) return "TRANSIENT";
  if (isServerError(error)) return "SERVER_ERROR";
  return "CLIENT_ERROR";
}
