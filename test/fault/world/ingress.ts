import { SHARED_INPUTS } from "../../../stacks/module/shared-rules.js";
import { WEBHOOK_SIGNATURE_PATTERN } from "../../../contracts/webhook.js";

/**
 * The way into the webhook function, as the module builds it: the web ACL's first rule (a request
 * without a well-formed `X-Hub-Signature-256` is blocked), its per-IP rate rule, then the stage's
 * throttle, a token bucket at `rate` per second holding at most `burst` tokens. Only requests that
 * pass all three reach the function; a throttled delivery gets 429 and GitHub does not redeliver it.
 * Hand-written: no library models WAF and API Gateway together.
 */
export interface IngressOptions {
  /** Stage throttle, requests per second (`api_throttling_rate_limit`). */
  readonly rate?: number;
  /** Stage burst (`api_throttling_burst_limit`). */
  readonly burst?: number;
  /** Requests per source address per window before the rate rule blocks it (`waf_rate_limit`). */
  readonly perIpLimit?: number;
  readonly perIpWindowMs?: number;
  /** Model the signature rule (false: the web ACL as it was before issue 18). */
  readonly signatureRule?: boolean;
}

export type IngressVerdict = "blocked-unsigned" | "blocked-rate" | "throttled" | "passed";

export class Ingress {
  readonly counts: Record<IngressVerdict, number> = { "blocked-unsigned": 0, "blocked-rate": 0, throttled: 0, passed: 0 };
  private readonly rate: number;
  private readonly burst: number;
  private readonly perIpLimit: number;
  private readonly perIpWindowMs: number;
  private readonly signatureRule: boolean;
  private readonly signature = new RegExp(WEBHOOK_SIGNATURE_PATTERN);
  private tokens: number;
  private refilledAt: number | undefined;
  private readonly perIp = new Map<string, { windowStart: number; count: number }>();

  constructor(options: IngressOptions = {}) {
    this.rate = options.rate ?? SHARED_INPUTS.apiThrottlingRateLimit.default;
    this.burst = options.burst ?? SHARED_INPUTS.apiThrottlingBurstLimit.default;
    this.perIpLimit = options.perIpLimit ?? SHARED_INPUTS.wafRateLimit.default;
    this.perIpWindowMs = (options.perIpWindowMs ?? SHARED_INPUTS.wafRateLimitWindowSeconds.default * 1000);
    this.signatureRule = options.signatureRule ?? true;
    this.tokens = this.burst;
  }

  /** One request arriving at `at` (ms) from `sourceIp`; requests must arrive in time order. */
  admit(at: number, sourceIp: string, signatureHeader: string | undefined): IngressVerdict {
    const verdict = this.decide(at, sourceIp, signatureHeader);
    this.counts[verdict] += 1;
    return verdict;
  }

  private decide(at: number, sourceIp: string, signatureHeader: string | undefined): IngressVerdict {
    if (this.signatureRule && !this.signature.test(signatureHeader ?? "")) return "blocked-unsigned";
    const seen = this.perIp.get(sourceIp);
    const window = seen === undefined || at - seen.windowStart >= this.perIpWindowMs ? { windowStart: at, count: 0 } : seen;
    window.count += 1;
    this.perIp.set(sourceIp, window);
    if (window.count > this.perIpLimit) return "blocked-rate";
    this.tokens = Math.min(this.burst, this.tokens + ((at - (this.refilledAt ?? at)) / 1000) * this.rate);
    this.refilledAt = at;
    if (this.tokens < 1) return "throttled";
    this.tokens -= 1;
    return "passed";
  }
}

/** Junk requests from `addresses`, round-robin, `perSecond` in all, from `fromMs` for `durationMs`. */
export interface Flood {
  readonly fromMs: number;
  readonly durationMs: number;
  readonly perSecond: number;
  readonly addresses: readonly string[];
  /** Send a well-formed (but wrong) signature header; default: none. */
  readonly signed?: boolean;
}

/** The arrival times (ms) and sources of a flood's requests up to `untilMs`, from request `next` on. */
export function floodArrivals(flood: Flood, startMs: number, next: number, untilMs: number): { at: number; sourceIp: string }[] {
  const arrivals: { at: number; sourceIp: string }[] = [];
  const total = Math.floor((flood.durationMs / 1000) * flood.perSecond);
  for (let i = next; i < total; i += 1) {
    const at = startMs + flood.fromMs + (i * 1000) / flood.perSecond;
    if (at > untilMs) break;
    arrivals.push({ at, sourceIp: flood.addresses[i % flood.addresses.length] as string });
  }
  return arrivals;
}
