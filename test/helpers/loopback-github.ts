import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { assertMatchesOpenApi } from "./openapi.js";

/** Answers one route: status and JSON body (undefined for none). */
export type GitHubRoute = (body: Record<string, unknown>) => [number, unknown];

/**
 * A GitHub REST API on 127.0.0.1 for tests that run the shipped zips (whose bundled Octokit nock
 * cannot reach): records every request, answers from a route table keyed `METHOD /path`, and checks
 * every scripted answer against GitHub's OpenAPI description. Unscripted requests get 404.
 */
export class LoopbackGitHub {
  readonly requests: Array<{ method: string; path: string; body: Record<string, unknown> }> = [];
  private readonly server: Server;
  private readonly routes = new Map<string, GitHubRoute>();

  constructor() {
    this.server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
        const method = req.method ?? "";
        const path = req.url ?? "";
        this.requests.push({ method, path, body });
        const route = this.routes.get(`${method} ${path}`);
        const [status, answer] = route ? route(body) : [404, { message: "Not Found", documentation_url: "https://docs.github.com/rest" }];
        if (route) assertMatchesOpenApi(method, path, status, answer);
        res.writeHead(status, {
          "content-type": "application/json; charset=utf-8",
          "x-ratelimit-limit": "5000",
          "x-ratelimit-remaining": "4999",
          "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 3600),
        });
        res.end(answer === undefined ? undefined : JSON.stringify(answer));
      });
    });
  }

  /** Scripts the answer of `METHOD /path` (exact path, query included). */
  on(route: string, answer: GitHubRoute): this {
    this.routes.set(route, answer);
    return this;
  }

  /** `METHOD /path` of every request so far. */
  calls(): string[] {
    return this.requests.map((request) => `${request.method} ${request.path}`);
  }

  async start(): Promise<string> {
    // Keep idle sockets open: Node closes them after 5 s by default, and a client reusing one at that instant on a loaded machine gets ECONNRESET.
    this.server.keepAliveTimeout = 0;
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
