/**
 * One function URL request, from event to answer: route, caller identity, body, then the service.
 * Status codes: 400 malformed (nothing read or written), 403 no or unknown IAM identity, 404 unknown
 * path, 405 not POST, 409 unknown or expired upload, 422 uploaded bytes that do not match.
 */
import { BUILD_CACHE_PATHS } from "../../contracts/build-cache.js";
import { runnerName } from "../shared/core.js";
import { callerAccess, parseCallerArn } from "./caller.js";
import type { CallerIdentity } from "./caller.js";
import type { CallerDirectory } from "./ports.js";
import { withVerifiedBase } from "./pull-request.js";
import type { PullRequestDirectory } from "./pull-request.js";
import { MalformedRequest, parseCommit, parseLookup, parseReserve } from "./requests.js";
import { Refusal, commit, lookup, reserve } from "./service.js";
import type { CacheDeps } from "./service.js";

/** The parts of a Lambda function URL event (AWS_IAM auth) this function reads. */
export interface FunctionUrlRequest {
  readonly rawPath?: string;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
  readonly requestContext?: {
    readonly http?: { readonly method?: string };
    readonly authorizer?: { readonly iam?: { readonly userArn?: string } };
  };
}

export interface HttpAnswer {
  readonly statusCode: number;
  readonly body: unknown;
}

export interface HandlerDeps extends CacheDeps {
  readonly prefix: string;
  readonly protocols: ReadonlySet<string>;
  readonly maxBlobBytes: number;
  readonly callers: CallerDirectory;
  /** Checks a lookup's pull request claim with GitHub (cached); undefined: no base branch is ever read. */
  readonly pullRequests?: PullRequestDirectory;
  /** The runner roles allowed to call; undefined: any role whose session is an instance. */
  readonly runnerRoles?: ReadonlySet<string>;
  /** Counts a refusal by reason (metrics). */
  readonly refused?: (reason: string) => void;
}

const OPERATIONS = new Map<string, keyof typeof BUILD_CACHE_PATHS>(Object.entries(BUILD_CACHE_PATHS).map(([operation, path]) => [path, operation as keyof typeof BUILD_CACHE_PATHS]));

/** `arn:aws:lambda:<region>:<account>:function:<name>` -> region and account. */
function functionLocation(functionArn: string): { readonly region: string; readonly account: string } | undefined {
  const [arn, , service, region, account] = functionArn.split(":");
  return arn === "arn" && service === "lambda" && region && account ? { region, account } : undefined;
}

export async function handleRequest(event: FunctionUrlRequest, functionArn: string, deps: HandlerDeps): Promise<HttpAnswer> {
  const refuse = (statusCode: number, reason: string, message: string): HttpAnswer => {
    deps.refused?.(reason);
    return { statusCode, body: { message } };
  };
  const operation = OPERATIONS.get(event.rawPath ?? "");
  if (operation === undefined) return refuse(404, "path", "unknown path");
  if (event.requestContext?.http?.method !== "POST") return refuse(405, "method", "only POST is served");
  const caller = parseCallerArn(event.requestContext?.authorizer?.iam?.userArn);
  const location = functionLocation(functionArn);
  // Another account's role could name its session after one of our instances: only our account counts.
  if (caller === undefined || location === undefined || caller.account !== location.account || (deps.runnerRoles !== undefined && !deps.runnerRoles.has(caller.roleName))) {
    return refuse(403, "identity", "the caller is not a runner instance of this deployment");
  }
  let body: unknown;
  try {
    body = JSON.parse(event.isBase64Encoded === true ? Buffer.from(event.body ?? "", "base64").toString("utf8") : (event.body ?? ""));
  } catch {
    return refuse(400, "malformed", "the body is not JSON");
  }
  try {
    const request =
      operation === "lookup"
        ? ({ operation, body: parseLookup(body, deps.protocols) } as const)
        : operation === "reserve"
          ? ({ operation, body: parseReserve(body, deps.protocols, deps.maxBlobBytes) } as const)
          : ({ operation, body: parseCommit(body) } as const);
    const facts = await deps.callers(instanceArn(caller, location.region), runnerName(deps.prefix, caller.instanceId));
    if (facts === undefined) return refuse(403, "unknown-instance", "the caller is not a runner instance of this deployment");
    const claim = request.operation === "lookup" ? request.body.pullRequest : undefined;
    const access = callerAccess(await withVerifiedBase(facts, claim, deps.pullRequests));
    if (!access.allowed) return refuse(403, "scope", access.reason);
    if (request.operation === "lookup") return { statusCode: 200, body: await lookup(request.body, access, deps) };
    if (request.operation === "reserve") return { statusCode: 200, body: await reserve(request.body, access, caller.instanceId, deps) };
    return { statusCode: 200, body: await commit(request.body, access, caller.instanceId, deps) };
  } catch (error) {
    if (error instanceof MalformedRequest) return refuse(400, "malformed", error.message);
    if (error instanceof Refusal) return refuse(error.statusCode, error.statusCode === 409 ? "upload-unknown" : "upload-mismatch", error.message);
    throw error;
  }
}

/** The runners table key of the caller's instance. */
function instanceArn(caller: CallerIdentity, region: string): string {
  return `arn:${caller.partition}:ec2:${region}:${caller.account}:instance/${caller.instanceId}`;
}
