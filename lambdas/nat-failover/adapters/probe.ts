import { request } from "node:https";
import { connect } from "node:net";
import type { SecureContextOptions } from "node:tls";

/** One probe round: did any target answer through the AZ's current egress path? */
export type EgressProbe = () => Promise<"ok" | "failed">;

/** Checks one target within `timeoutMs`; resolves true when it answered. Never rejects. */
export type TargetCheck = (target: string, timeoutMs: number) => Promise<boolean>;

/**
 * A round probes every target at once and succeeds when at least one answers, so one target's own
 * outage is not mistaken for a loss of egress.
 */
export function egressProbe(targets: readonly string[], timeoutMs: number, check: TargetCheck = checkTarget()): EgressProbe {
  return async () => {
    const answers = await Promise.all(targets.map((target) => check(target, timeoutMs)));
    return answers.some(Boolean) ? "ok" : "failed";
  };
}

/**
 * `https://host[:port][/path]`: a HEAD request; any HTTP answer (even 4xx/5xx) proves the path works.
 * `tcp://host:port`: a TCP connection. Certificates are verified; `tls` adds trust for tests.
 */
export function checkTarget(tls: Pick<SecureContextOptions, "ca"> = {}): TargetCheck {
  return (target, timeoutMs) =>
    new Promise<boolean>((resolve) => {
      let settled = false;
      const finish = (ok: boolean, close: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        close();
        resolve(ok);
      };
      const url = new URL(target);
      let close: () => void = () => undefined;
      // One deadline for DNS, connect, TLS and the answer together: socket timeouts cover only idleness.
      const timer = setTimeout(() => finish(false, close), timeoutMs);
      if (url.protocol === "tcp:") {
        const socket = connect({ host: url.hostname, port: Number(url.port) });
        close = () => socket.destroy();
        socket.once("connect", () => finish(true, close));
        socket.once("error", () => finish(false, close));
        return;
      }
      const req = request(url, { method: "HEAD", agent: false, ca: tls.ca, headers: { "user-agent": "self-runners-nat-failover" } }, (res) => {
        res.resume();
        finish(true, close);
      });
      close = () => req.destroy();
      req.once("error", () => finish(false, close));
      req.end();
    });
}
