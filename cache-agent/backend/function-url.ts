import { fromEnv } from "@aws-sdk/credential-provider-env";
import { Sha256 } from "@smithy/core/checksum";
import { chain, memoize } from "@smithy/core/config";
import { HttpRequest } from "@smithy/core/transport";
import { fromInstanceMetadata } from "@smithy/credential-provider-imds";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";
import { BUILD_CACHE_PATHS } from "../../contracts/build-cache.js";
import { readText, send } from "../http.js";
import { CacheBackendError, type CacheBackend } from "./port.js";

export interface FunctionUrlBackendOptions {
  /** The cache function's URL (`SELF_RUNNERS_CACHE_FUNCTION_URL`). */
  readonly functionUrl: string;
  readonly region: string;
  /** @default environment variables, then the instance role from IMDS */
  readonly credentials?: AwsCredentialIdentityProvider;
}

/** Refresh instance credentials five minutes before they expire. */
const REFRESH_BEFORE_MS = 5 * 60_000;

/**
 * The runner's credentials: AWS_* variables when set (tests, local runs), else the instance role through
 * IMDSv2. Two providers instead of the SDK's whole default chain: nothing else applies on a runner.
 */
export function runnerCredentials(): AwsCredentialIdentityProvider {
  return memoize(
    chain(fromEnv(), fromInstanceMetadata({ maxRetries: 3, timeout: 2_000 })),
    (c: AwsCredentialIdentity) => c.expiration !== undefined && c.expiration.getTime() - Date.now() < REFRESH_BEFORE_MS,
    (c: AwsCredentialIdentity) => c.expiration !== undefined,
  );
}

/**
 * The real backend: each operation is one SigV4-signed `POST <function-url><path>` (service `lambda`,
 * what a function URL with AWS_IAM auth checks) with a JSON body.
 */
export function functionUrlBackend(options: FunctionUrlBackendOptions): CacheBackend {
  const base = new URL(options.functionUrl);
  const signer = new SignatureV4({ service: "lambda", region: options.region, credentials: options.credentials ?? runnerCredentials(), sha256: Sha256 });

  async function call<T>(path: string, body: unknown): Promise<T> {
    const payload = JSON.stringify(body);
    const request = new HttpRequest({
      method: "POST",
      protocol: base.protocol,
      hostname: base.hostname,
      ...(base.port === "" ? {} : { port: Number(base.port) }),
      path: base.pathname.replace(/\/$/, "") + path,
      headers: { host: base.host, "content-type": "application/json" },
      body: payload,
    });
    const signed = await signer.sign(request);
    const url = `${base.protocol}//${base.host}${signed.path}`;
    const response = await send(url, { method: "POST", headers: signed.headers, body: payload });
    const text = await readText(response);
    if (response.statusCode !== 200) throw new CacheBackendError(`cache function ${path} answered ${response.statusCode}: ${text.slice(0, 200)}`, response.statusCode);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CacheBackendError(`cache function ${path} answered a body that is not JSON`, response.statusCode);
    }
  }

  return {
    lookup: (request) => call(BUILD_CACHE_PATHS.lookup, request),
    reserve: (request) => call(BUILD_CACHE_PATHS.reserve, request),
    commit: (request) => call(BUILD_CACHE_PATHS.commit, request),
  };
}
