import { Sha256 } from "@smithy/core/checksum";
import { loadConfig } from "@smithy/core/config";
import { HttpRequest } from "@smithy/core/transport";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentialIdentity } from "@smithy/types";
import { WEBHOOK_AWS_REQUEST_TIMEOUT_MS } from "../../../contracts/webhook.js";
import { ParameterReadError, SECRET_CACHE_SECONDS } from "../../shared/core.js";

/** Reads one SecureString, decrypted; `fresh` skips the in-memory cache (a signature mismatch: maybe rotated). */
export type ReadSecureString = (name: string, fresh: boolean) => Promise<string>;

/** Where a signed request gets its region and credentials: an SDK client's resolved config (the same chain). */
export interface SigningSource {
  readonly region: () => Promise<string>;
  readonly credentials: () => Promise<AwsCredentialIdentity>;
}

/**
 * SSM GetParameter (WithDecryption) as one SigV4-signed awsJson1_1 POST, with the SDK's own signer, HTTP
 * handler and endpoint variables (AWS_ENDPOINT_URL_SSM, then AWS_ENDPOINT_URL). Written by hand because
 * the SSM client bundles every SSM operation's schema (about 210 KB minified; tree shaking keeps them all),
 * which alone would exceed the webhook's zip budget (docs/performance.md, "Webhook"). Values are cached in
 * memory for SECRET_CACHE_SECONDS, as the shared `getSecureString` does for the other functions.
 */
export function ssmSecureStringReader(source: SigningSource, now: () => number = Date.now): ReadSecureString {
  const cache = new Map<string, { readonly value: string; readonly until: number }>();
  let handler: NodeHttpHandler | undefined;
  let signer: SignatureV4 | undefined;
  const endpointUrl = loadConfig<string | undefined>({
    environmentVariableSelector: (env) => env.AWS_ENDPOINT_URL_SSM ?? env.AWS_ENDPOINT_URL,
    configFileSelector: () => undefined,
    default: undefined,
  });

  async function getParameter(name: string): Promise<string> {
    const region = await source.region();
    // Lambda sets no endpoint variable: the regional endpoint of the function's own partition.
    const endpoint = new URL((await endpointUrl()) ?? `https://ssm.${region}.amazonaws.com${region.startsWith("cn-") ? ".cn" : ""}`);
    signer ??= new SignatureV4({ service: "ssm", region, credentials: source.credentials, sha256: Sha256 });
    // The webhook's AWS request timeout; without `throwOnRequestTimeout` the handler only logs a
    // warning when it passes, and a hung SSM endpoint would hold the invocation until Lambda's timeout.
    handler ??= new NodeHttpHandler({ requestTimeout: WEBHOOK_AWS_REQUEST_TIMEOUT_MS, throwOnRequestTimeout: true });
    const request = new HttpRequest({
      method: "POST",
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      ...(endpoint.port === "" ? {} : { port: Number(endpoint.port) }),
      path: endpoint.pathname,
      headers: {
        host: endpoint.host,
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "AmazonSSM.GetParameter",
      },
      body: JSON.stringify({ Name: name, WithDecryption: true }),
    });
    const { response } = await handler.handle((await signer.sign(request)) as HttpRequest);
    const chunks: Buffer[] = [];
    for await (const chunk of response.body as AsyncIterable<Buffer>) chunks.push(chunk);
    const answer = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as { Parameter?: { Value?: string }; __type?: string; message?: string };
    if (response.statusCode !== 200) throw new Error(`SSM GetParameter answered ${response.statusCode}: ${answer.__type ?? ""} ${answer.message ?? ""}`.trim());
    const value = answer.Parameter?.Value;
    if (value === undefined || value === "") throw new ParameterReadError(name);
    return value;
  }

  return async (name, fresh) => {
    const cached = cache.get(name);
    if (!fresh && cached !== undefined && cached.until > now()) return cached.value;
    let value: string;
    try {
      value = await getParameter(name);
    } catch (error) {
      throw error instanceof ParameterReadError ? error : new ParameterReadError(name, { cause: error });
    }
    cache.set(name, { value, until: now() + SECRET_CACHE_SECONDS * 1000 });
    return value;
  };
}
