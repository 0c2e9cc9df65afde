import type { IncomingMessage, Server, ServerResponse } from "node:http";

/**
 * The world's servers date their answers on the world's clock. Node's HTTP server writes a `Date`
 * header from the machine's clock (its own Date, which the fake timers do not replace), months away
 * from the handlers' simulated clock. The AWS SDK reads that header as clock skew: it moves its
 * clock offset when the simulated clock has jumped more than 5 minutes further than the machine's
 * since the last answer, and retries the error answer that carried the correction (a conditional
 * write refused, then sent again). Whether a jump crossed the threshold depended on how fast the
 * machine ran, so an invocation made an extra ledger write in some runs (docs/reliability.md, "Runs
 * repeat"). AWS and GitHub answer with a clock that agrees with the caller's.
 */
export function answerOnWorldClock(server: Server): void {
  server.prependListener("request", (_req: IncomingMessage, res: ServerResponse) => {
    res.setHeader("date", new Date(Date.now()).toUTCString());
  });
}
