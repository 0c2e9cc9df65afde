import { createHmac } from "node:crypto";
import { sign } from "@octokit/webhooks-methods";
import { describe, expect, it } from "vitest";
import { InvalidJsonBodyError, InvalidSignatureError, METRICS, MissingSignatureError, PayloadTooLargeError } from "../../../lambdas/shared/index.js";
import { SECRET_CACHE_SECONDS } from "../../../lambdas/shared/cache.js";
import { activePreviousSecret, headerValue, parseJsonBody, readBody, verifySignature, webhookSecretLoader } from "../../../lambdas/webhook/verify.js";
import type { WebhookSecrets } from "../../../lambdas/webhook/verify.js";
import { metricPoints, quietPowertools, takeEmittedMetrics } from "../../helpers/powertools.js";

// Edges of the webhook's signature check that Stryker found untested (docs/reliability.md, "Mutation
// testing"): each test here kills a mutant that survived verify.test.ts and the handler tests.

quietPowertools();

const NOW = new Date("2025-06-01T12:00:00Z");
const OLD = "old-webhook-secret";
const NEW = "new-webhook-secret";
const BODY = JSON.stringify({ action: "queued", workflow_job: { id: 1 } });

function loaderOf(...sequence: WebhookSecrets[]) {
  const calls: boolean[] = [];
  const load = async (fresh: boolean): Promise<WebhookSecrets> => {
    calls.push(fresh);
    return sequence[Math.min(calls.length - 1, sequence.length - 1)]!;
  };
  return { load, calls };
}

describe("headerValue", () => {
  it("skips a header listed without a value and finds the same name in other case", () => {
    expect(headerValue({ headers: { "X-Hub-Signature-256": undefined, "x-hub-signature-256": "sha256=ab" } }, "x-hub-signature-256")).toBe("sha256=ab");
    expect(headerValue({ headers: null }, "x-hub-signature-256")).toBeUndefined();
  });
});

describe("readBody", () => {
  it("accepts a body exactly at the limit, in plain text as well as base64", () => {
    expect(readBody({ body: "0123456789", isBase64Encoded: false }, 10).toString()).toBe("0123456789");
    expect(readBody({ body: Buffer.from("0123456789").toString("base64"), isBase64Encoded: true }, 10).toString()).toBe("0123456789");
    expect(() => readBody({ body: "01234567890", isBase64Encoded: false }, 10)).toThrow(PayloadTooLargeError);
  });

  it("reads a missing body as empty", () => {
    expect(readBody({ body: null, isBase64Encoded: false }, 10).byteLength).toBe(0);
  });
});

describe("verifySignature: what counts as unsigned or unverifiable", () => {
  it("fails as unsigned when the header is present but empty, without reading any secret", async () => {
    const loader = loaderOf({ current: NEW });
    await expect(verifySignature({ headers: { "x-hub-signature-256": "" } }, Buffer.from(BODY), loader.load, () => NOW)).rejects.toThrow(MissingSignatureError);
    expect(loader.calls).toEqual([]);
  });

  it("fails as invalid, without reading any secret, when the body is empty", async () => {
    const loader = loaderOf({ current: NEW });
    // The HMAC of no bytes: a valid signature of an empty body, which GitHub never sends.
    const headers = { "x-hub-signature-256": `sha256=${createHmac("sha256", NEW).digest("hex")}` };
    await expect(verifySignature({ headers }, Buffer.alloc(0), loader.load, () => NOW)).rejects.toThrow(InvalidSignatureError);
    expect(loader.calls).toEqual([]);
  });
});

describe("verifySignature after a re-read", () => {
  it("accepts the previous secret when only the previous parameter changed since the cache was filled", async () => {
    // The cache holds NEW alone; SSM now also holds OLD as previous (the operator set it back, say).
    const loader = loaderOf({ current: NEW }, { current: NEW, previous: OLD });
    await expect(verifySignature({ headers: { "x-hub-signature-256": await sign(OLD, BODY) } }, Buffer.from(BODY), loader.load, () => NOW)).resolves.toBe("previous");
    expect(loader.calls).toEqual([false, true]);
  });

  it("accepts the new current secret when only the current parameter changed since the cache was filled", async () => {
    const loader = loaderOf({ current: OLD }, { current: NEW });
    await expect(verifySignature({ headers: { "x-hub-signature-256": await sign(NEW, BODY) } }, Buffer.from(BODY), loader.load, () => NOW)).resolves.toBe("current");
    expect(loader.calls).toEqual([false, true]);
  });

  it("reads the clock itself when not given one: a previous secret expiring in the future is accepted", async () => {
    const previous = JSON.stringify({ secret: OLD, expiresAt: "2999-01-01T00:00:00Z" });
    const loader = loaderOf({ current: NEW, previous });
    await expect(verifySignature({ headers: { "x-hub-signature-256": await sign(OLD, BODY) } }, Buffer.from(BODY), loader.load)).resolves.toBe("previous");
  });
});

describe("verifySignature and the rotation metric", () => {
  it("counts a delivery signed with the previous secret, and none signed with the current one", async () => {
    takeEmittedMetrics();
    const loader = loaderOf({ current: NEW, previous: OLD });
    const request = async (secret: string) => ({ headers: { "x-hub-signature-256": await sign(secret, BODY) } });

    await verifySignature(await request(NEW), Buffer.from(BODY), loader.load, () => NOW);
    expect(metricPoints(METRICS.webhookPreviousSecretUsed.name)).toEqual([]);
    await verifySignature(await request(OLD), Buffer.from(BODY), loader.load, () => NOW);
    expect(metricPoints(METRICS.webhookPreviousSecretUsed.name).map((point) => point.value)).toEqual([1]);
  });
});

describe("parseJsonBody", () => {
  it.each(["5", '"text"', "null", "true"])("fails when the JSON is %s, not an object", (json) => {
    expect(() => parseJsonBody(Buffer.from(json), "application/json")).toThrow(InvalidJsonBodyError);
  });

  it("reads the payload field when the form content type has a space before its parameters", () => {
    const body = Buffer.from(new URLSearchParams({ payload: JSON.stringify({ action: "queued" }) }).toString());
    expect(parseJsonBody(body, "application/x-www-form-urlencoded ; charset=utf-8")).toEqual({ action: "queued" });
  });

  it("keeps the parser's error as the cause when the body is not JSON", () => {
    expect(() => parseJsonBody(Buffer.from("{not json"), "application/json")).toThrow(expect.objectContaining({ cause: expect.any(SyntaxError) }));
  });
});

describe("activePreviousSecret", () => {
  it.each([
    { name: "JSON with an empty secret", raw: JSON.stringify({ secret: "" }) },
    { name: "JSON whose expiry is a number (Date.parse would read 2030 as a year), not an ISO 8601 string", raw: JSON.stringify({ secret: OLD, expiresAt: 2030 }) },
    { name: "JSON expiring one millisecond ago", raw: JSON.stringify({ secret: OLD, expiresAt: new Date(NOW.getTime() - 1).toISOString() }) },
  ])("ignores $name", ({ raw }) => {
    expect(activePreviousSecret(raw, NOW)).toBeUndefined();
  });

  it("accepts JSON expiring one millisecond from now", () => {
    expect(activePreviousSecret(JSON.stringify({ secret: OLD, expiresAt: new Date(NOW.getTime() + 1).toISOString() }), NOW)).toBe(OLD);
  });

  it("takes a JSON value without a string secret as the secret itself, as it takes any other text", () => {
    expect(activePreviousSecret('{"secret":5}', NOW)).toBe('{"secret":5}');
    expect(activePreviousSecret("{}", NOW)).toBe("{}");
  });
});

describe("webhookSecretLoader and an unreadable previous parameter", () => {
  function flakyPrevious() {
    const previousReads: boolean[] = [];
    let previousFails = true;
    const read = async (name: string, fresh: boolean): Promise<string> => {
      if (name === "/cur") return NEW;
      previousReads.push(fresh);
      if (previousFails) throw new Error("ParameterNotFound");
      return OLD;
    };
    return { read, previousReads, heal: () => (previousFails = false) };
  }

  it("tries the previous parameter again on a forced read, and after the cache period", async () => {
    let clock = 1_000_000;
    const { read, previousReads, heal } = flakyPrevious();
    const load = webhookSecretLoader({ currentParameter: "/cur", previousParameter: "/prev", read, now: () => clock });

    expect(await load(false)).toEqual({ current: NEW });
    heal();
    expect(await load(false)).toEqual({ current: NEW });
    expect(await load(true)).toEqual({ current: NEW, previous: OLD });
    expect(previousReads).toEqual([false, true]);
  });

  it("reads the clock itself when not given one: a forced read is fresh", async () => {
    const { read, previousReads, heal } = flakyPrevious();
    heal();
    const load = webhookSecretLoader({ currentParameter: "/cur", previousParameter: "/prev", read });
    await load(true);
    expect(previousReads).toEqual([true]);
  });

  it("reads it again exactly when the cache period has passed, not a millisecond before", async () => {
    let clock = 1_000_000;
    const { read, previousReads, heal } = flakyPrevious();
    const load = webhookSecretLoader({ currentParameter: "/cur", previousParameter: "/prev", read, now: () => clock });

    await load(false);
    heal();
    clock += SECRET_CACHE_SECONDS * 1000 - 1;
    expect(await load(false)).toEqual({ current: NEW });
    clock += 1;
    expect(await load(false)).toEqual({ current: NEW, previous: OLD });
    expect(previousReads).toEqual([false, false]);
  });
});
