/**
 * GitHub hooks IP sets, on a schedule (EventBridge) and once at `terraform apply` (aws_lambda_invocation).
 * Reads:  GitHub `GET /meta` at GITHUB_API_URL (no credentials); WAFv2 GetIPSet of the two sets.
 * Writes: WAFv2 UpdateIPSet of a set whose ranges differ from GitHub's `hooks` list, with its lock token.
 * Fails (so the schedule's retries and the apply see it) when the list is refused or a set cannot be written.
 */
import { WAFV2Client } from "@aws-sdk/client-wafv2";
import type { Context } from "aws-lambda";
import { flushMetrics, logger, unauthenticatedOctokit, traced } from "../shared/index.js";
import { gitHubMetaHooks } from "./adapters/github.js";
import { wafv2IpSetStore } from "./adapters/wafv2.js";
import { hooksIpSetConfigFromEnv } from "./config.js";
import { syncHooksIpSets } from "./sync.js";
import type { SyncDeps, SyncSummary } from "./sync.js";

// Built here, in the handler's own bundle, not in the shared layer: SDK commands check
// `client instanceof <their own client class>`, and the layer carries another copy.
const wafClient = traced(new WAFV2Client({}));

let deps: SyncDeps | undefined;

function loadDeps(): SyncDeps {
  const config = hooksIpSetConfigFromEnv();
  return {
    hooks: gitHubMetaHooks(unauthenticatedOctokit({ baseUrl: config.apiUrl })),
    store: wafv2IpSetStore(wafClient),
    ipv4: config.ipv4,
    ipv6: config.ipv6,
  };
}

export async function handler(_event: unknown, context: Context): Promise<SyncSummary> {
  logger.addContext(context);
  try {
    deps ??= loadDeps();
    return await syncHooksIpSets(deps);
  } finally {
    flushMetrics();
  }
}
