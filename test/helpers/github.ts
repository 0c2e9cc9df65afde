import nock from "nock";
import type { ReplyFnResult } from "nock";

export * from "./openapi.js";

// nock 15 intercepts fetch through @mswjs/interceptors, which calls Promise.withResolvers (Node 22+).
// The kit supports Node 20, where it is missing; this is the spec's definition, for tests only.
if (typeof (Promise as { withResolvers?: unknown }).withResolvers !== "function") {
  Object.defineProperty(Promise, "withResolvers", {
    configurable: true,
    writable: true,
    value: function withResolvers<T>() {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
}

/** What a fake saw of one request. */
function pathOf(request: { url?: string; path?: string }): string {
  if (request.url !== undefined) {
    const url = new URL(request.url);
    return `${url.pathname}${url.search}`;
  }
  return request.path ?? "";
}

function parseBody(text: string | undefined): unknown {
  if (text === undefined || text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * A nock scope for a GitHub API root that records every request it answers, in order, so tests can
 * assert the exact call sequence.
 */
export function gitHubFake(baseUrl = "https://api.github.com"): { scope: nock.Scope; requests: RecordedRequest[] } {
  const requests: RecordedRequest[] = [];
  const scope = nock(baseUrl);
  scope.on("request", (request: { method: string; url?: string; path?: string }, _interceptor: unknown, body: string) => {
    requests.push({ method: request.method, path: pathOf(request), body: parseBody(body) });
  });
  return { scope, requests };
}

/**
 * A nock reply computed from the request. nock 15 hands reply functions the fetch Request (its
 * README still shows the older `(uri, body)` form), so the body is read here once for the test.
 */
export function replyFromRequest(
  respond: (request: RecordedRequest) => [number, unknown],
): (request: Request) => Promise<ReplyFnResult> {
  return async (request) => {
    const [status, body] = respond({ method: request.method, path: pathOf(request), body: parseBody(await request.text()) });
    return [status, JSON.stringify(body), { "content-type": "application/json; charset=utf-8" }];
  };
}
