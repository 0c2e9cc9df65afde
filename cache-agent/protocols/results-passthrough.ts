import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";
import { readBuffer, send } from "../http.js";
import { sendJson, type ProtocolContext, type ProtocolHandler } from "./route.js";

/** Every Twirp service of GitHub's results service (CacheService is answered by actions.ts first). */
const RESULTS_TWIRP_PREFIX = "/twirp/github.actions.results.";
const FORWARDED_REQUEST_HEADERS = ["authorization", "content-type", "accept", "user-agent"] as const;
const FORWARDED_RESPONSE_HEADERS = ["content-type", "content-length"] as const;

function pick(headers: IncomingHttpHeaders, names: readonly string[]): OutgoingHttpHeaders {
  return Object.fromEntries(names.filter((name) => headers[name] !== undefined).map((name) => [name, headers[name]]));
}

/**
 * Once the runner is redirected (docs/build-cache-actions.md), every results-service call of a node
 * action reaches the agent, not only the cache's: artifacts v4 (Twirp `ArtifactService`) too. Those are
 * forwarded to GitHub's results service as they came (the job's runtime token in Authorization
 * authenticates them there); the agent neither reads nor keeps them. Artifact bytes go to the storage
 * URLs GitHub signs, not through here.
 */
export function resultsPassthrough(context: ProtocolContext, upstream: string): ProtocolHandler {
  return {
    protocol: "actions",
    async handle(request, response, url) {
      if (!url.pathname.startsWith(RESULTS_TWIRP_PREFIX)) return false;
      const target = new URL(`${url.pathname.slice(1)}${url.search}`, upstream.endsWith("/") ? upstream : `${upstream}/`).toString();
      try {
        const answer = await send(target, { method: request.method ?? "POST", headers: pick(request.headers, FORWARDED_REQUEST_HEADERS), body: await readBuffer(request) });
        response.writeHead(answer.statusCode ?? 502, pick(answer.headers, FORWARDED_RESPONSE_HEADERS));
        answer.pipe(response);
      } catch (error) {
        context.log("results service unreachable", { path: url.pathname, error: String(error) });
        // Twirp's error shape; the toolkit retries "unavailable".
        if (!response.headersSent) sendJson(response, 503, { code: "unavailable", msg: "GitHub's results service is unreachable from the runner" });
        else response.destroy();
      }
      return true;
    },
  };
}
