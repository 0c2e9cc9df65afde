import { createHmac } from "node:crypto";
import { sign } from "@octokit/webhooks-methods";
import { describe, expect, it, vi } from "vitest";
import { InvalidJsonBodyError, InvalidSignatureError, MissingSignatureError, PayloadTooLargeError } from "../../../lambdas/shared/index.js";
import {
  PLACEHOLDER_SECRET,
  SECRET_REFRESH_INTERVAL_MS,
  activePreviousSecret,
  candidateSecrets,
  parseJsonBody,
  readBody,
  verifySignature,
  webhookSecretLoader,
  type WebhookSecrets,
} from "../../../lambdas/webhook/verify.js";
import { webhookConfigFromEnv } from "../../../lambdas/webhook/config.js";
import { PLACEHOLDER_SECRET as STACKS_PLACEHOLDER } from "../../../stacks/github-app-secrets.js";
import { workflowJobQueuedFixture } from "../../helpers/github.js";
import { quietPowertools } from "../../helpers/powertools.js";

quietPowertools();

const NOW = new Date("2025-06-01T12:00:00Z");
/** ALLOWED_OWNERS, ALLOWED_REPOSITORIES and WEBHOOK_MAX_JOB_AGE_SECONDS at the module's defaults. */
const ADMISSION_ENV_DEFAULTS = { ALLOWED_OWNERS: "[]", ALLOWED_REPOSITORIES: "[]", WEBHOOK_MAX_JOB_AGE_SECONDS: "3600" };
const OLD = "old-webhook-secret";
const NEW = "new-webhook-secret";
const BODY = JSON.stringify({ action: "queued", workflow_job: { id: 1 } });
const BODY_BYTES = Buffer.from(BODY);

async function signed(secret: string): Promise<{ headers: Record<string, string> }> {
  return { headers: { "X-Hub-Signature-256": await sign(secret, BODY) } };
}

/** A loader double: answers from `sequence` (the last entry repeats) and records each call's `fresh`. */
function scriptedLoader(...sequence: WebhookSecrets[]) {
  const calls: boolean[] = [];
  const load = async (fresh: boolean): Promise<WebhookSecrets> => {
    calls.push(fresh);
    return sequence[Math.min(calls.length - 1, sequence.length - 1)]!;
  };
  return { load, calls };
}

describe("activePreviousSecret", () => {
  it.each([
    { name: "a plain secret", raw: OLD, expected: OLD },
    { name: "a plain secret with a trailing newline", raw: `${OLD}\n`, expected: OLD },
    { name: "JSON without expiry", raw: JSON.stringify({ secret: OLD }), expected: OLD },
    { name: "JSON expiring later", raw: JSON.stringify({ secret: OLD, expiresAt: "2025-06-02T00:00:00Z" }), expected: OLD },
    { name: "text that only looks like JSON", raw: "{not json", expected: "{not json" },
  ])("accepts $name", ({ raw, expected }) => {
    expect(activePreviousSecret(raw, NOW)).toBe(expected);
  });

  it.each([
    { name: "no parameter", raw: undefined },
    { name: "the placeholder", raw: PLACEHOLDER_SECRET },
    { name: "a blank value", raw: "  " },
    { name: "JSON that expired", raw: JSON.stringify({ secret: OLD, expiresAt: "2025-06-01T11:59:59Z" }) },
    { name: "JSON expiring exactly now", raw: JSON.stringify({ secret: OLD, expiresAt: NOW.toISOString() }) },
    { name: "JSON with an unreadable expiry", raw: JSON.stringify({ secret: OLD, expiresAt: "next week" }) },
    { name: "JSON holding the placeholder", raw: JSON.stringify({ secret: PLACEHOLDER_SECRET }) },
  ])("ignores $name", ({ raw }) => {
    expect(activePreviousSecret(raw, NOW)).toBeUndefined();
  });

  it("uses the same placeholder as the parameters the stacks create", () => {
    expect(PLACEHOLDER_SECRET).toBe(STACKS_PLACEHOLDER);
  });
});

describe("candidateSecrets", () => {
  it("tries the current secret first, then the active previous one", () => {
    expect(candidateSecrets({ current: NEW, previous: OLD }, NOW)).toEqual([
      { secret: NEW, match: "current" },
      { secret: OLD, match: "previous" },
    ]);
  });

  it("tries a previous secret equal to the current one once", () => {
    expect(candidateSecrets({ current: NEW, previous: NEW }, NOW)).toEqual([{ secret: NEW, match: "current" }]);
  });

  it("never offers the placeholder, so an unset secret accepts nothing", () => {
    expect(candidateSecrets({ current: PLACEHOLDER_SECRET, previous: PLACEHOLDER_SECRET }, NOW)).toEqual([]);
  });
});

describe("verifySignature with a previous secret", () => {
  it("accepts a delivery signed with the current secret without re-reading", async () => {
    const loader = scriptedLoader({ current: NEW, previous: OLD });
    await expect(verifySignature(await signed(NEW), BODY_BYTES, loader.load, () => NOW)).resolves.toBe("current");
    expect(loader.calls).toEqual([false]);
  });

  it("accepts a delivery signed with the previous secret during the rotation window", async () => {
    const loader = scriptedLoader({ current: NEW, previous: OLD });
    await expect(verifySignature(await signed(OLD), BODY_BYTES, loader.load, () => NOW)).resolves.toBe("previous");
  });

  it("accepts the new secret right after a rotation by re-reading the parameters once", async () => {
    // The cache still holds the old current secret; SSM already has the new one and the old as previous.
    const loader = scriptedLoader({ current: OLD }, { current: NEW, previous: OLD });
    await expect(verifySignature(await signed(NEW), BODY_BYTES, loader.load, () => NOW)).resolves.toBe("current");
    expect(loader.calls).toEqual([false, true]);
  });

  it("fails when the previous secret was cleared: the old signature is refused", async () => {
    const loader = scriptedLoader({ current: NEW, previous: PLACEHOLDER_SECRET });
    await expect(verifySignature(await signed(OLD), BODY_BYTES, loader.load, () => NOW)).rejects.toThrow(InvalidSignatureError);
  });

  it("fails when the previous secret has expired: the old signature is refused", async () => {
    const loader = scriptedLoader({ current: NEW, previous: JSON.stringify({ secret: OLD, expiresAt: "2025-06-01T00:00:00Z" }) });
    await expect(verifySignature(await signed(OLD), BODY_BYTES, loader.load, () => NOW)).rejects.toThrow(InvalidSignatureError);
  });

  it("fails when the signature is forged, during a rotation too, after one re-read", async () => {
    const loader = scriptedLoader({ current: NEW, previous: OLD });
    await expect(verifySignature(await signed("forged"), BODY_BYTES, loader.load, () => NOW)).rejects.toThrow(InvalidSignatureError);
    expect(loader.calls).toEqual([false, true]);
  });

  it("fails when the secret is still the placeholder, even for a delivery signed with it", async () => {
    const loader = scriptedLoader({ current: PLACEHOLDER_SECRET });
    await expect(verifySignature(await signed(PLACEHOLDER_SECRET), BODY_BYTES, loader.load, () => NOW)).rejects.toThrow(InvalidSignatureError);
  });

  it("fails with 401, not 500, when the re-read after a mismatch fails", async () => {
    const load = vi.fn(async (fresh: boolean): Promise<WebhookSecrets> => {
      if (fresh) throw new Error("ThrottlingException");
      return { current: NEW };
    });
    await expect(verifySignature(await signed("forged"), BODY_BYTES, load, () => NOW)).rejects.toThrow(InvalidSignatureError);
  });

  it("fails when the signature header is missing, without reading any secret", async () => {
    const loader = scriptedLoader({ current: NEW });
    await expect(verifySignature({ headers: {} }, BODY_BYTES, loader.load, () => NOW)).rejects.toThrow(MissingSignatureError);
    expect(loader.calls).toEqual([]);
  });
});

describe("webhookSecretLoader", () => {
  function reader(values: Record<string, string | Error>) {
    const reads: { name: string; fresh: boolean }[] = [];
    const read = async (name: string, fresh: boolean): Promise<string> => {
      reads.push({ name, fresh });
      const value = values[name];
      if (value === undefined || value instanceof Error) throw value ?? new Error(`no ${name}`);
      return value;
    };
    return { read, reads };
  }

  it("reads both parameters, from cache unless asked to refresh", async () => {
    const { read, reads } = reader({ "/cur": NEW, "/prev": OLD });
    const load = webhookSecretLoader({ currentParameter: "/cur", previousParameter: "/prev", read, now: () => 0 });

    expect(await load(false)).toEqual({ current: NEW, previous: OLD });
    expect(reads).toEqual([
      { name: "/cur", fresh: false },
      { name: "/prev", fresh: false },
    ]);
  });

  it("forces a fresh read at most once per refresh interval", async () => {
    let clock = 1_000_000;
    const { read, reads } = reader({ "/cur": NEW, "/prev": OLD });
    const load = webhookSecretLoader({ currentParameter: "/cur", previousParameter: "/prev", read, now: () => clock });

    await load(true);
    clock += SECRET_REFRESH_INTERVAL_MS - 1;
    await load(true);
    clock += 1;
    await load(true);

    expect(reads.filter((r) => r.name === "/cur").map((r) => r.fresh)).toEqual([true, false, true]);
  });

  it("treats an unreadable previous parameter as none and does not retry it on every delivery", async () => {
    const { read, reads } = reader({ "/cur": NEW, "/prev": new Error("ParameterNotFound") });
    const load = webhookSecretLoader({ currentParameter: "/cur", previousParameter: "/prev", read, now: () => 0 });

    expect(await load(false)).toEqual({ current: NEW });
    expect(await load(false)).toEqual({ current: NEW });
    expect(reads.filter((r) => r.name === "/prev")).toHaveLength(1);
  });

  it("reads only the current parameter when no previous one is configured", async () => {
    const { read, reads } = reader({ "/cur": NEW });
    const load = webhookSecretLoader({ currentParameter: "/cur", read });

    expect(await load(true)).toEqual({ current: NEW });
    expect(reads.map((r) => r.name)).toEqual(["/cur"]);
  });

  it("fails when the current parameter cannot be read", async () => {
    const { read } = reader({ "/prev": OLD });
    const load = webhookSecretLoader({ currentParameter: "/cur", previousParameter: "/prev", read });
    await expect(load(false)).rejects.toThrow("no /cur");
  });
});

describe("webhookConfigFromEnv", () => {
  const pools = JSON.stringify({ linux: { labels: ["linux"], queueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/q.fifo" } });

  it("reads WEBHOOK_PREVIOUS_SECRET_SSM_PARAMETER_NAME when set", () => {
    const config = webhookConfigFromEnv({ POOLS: pools, JOBS_TABLE: "sr-jobs", PREFIX: "sr", WEBHOOK_MAX_BODY_BYTES: "262144", ...ADMISSION_ENV_DEFAULTS, WEBHOOK_SECRET_SSM_PARAMETER_NAME: "/sr/cur", WEBHOOK_PREVIOUS_SECRET_SSM_PARAMETER_NAME: "/sr/prev" });
    expect(config).toMatchObject({ secretParameter: "/sr/cur", previousSecretParameter: "/sr/prev" });
  });

  it("leaves the previous parameter out when the variable is unset or empty", () => {
    expect(webhookConfigFromEnv({ POOLS: pools, JOBS_TABLE: "sr-jobs", PREFIX: "sr", WEBHOOK_MAX_BODY_BYTES: "262144", ...ADMISSION_ENV_DEFAULTS, WEBHOOK_SECRET_SSM_PARAMETER_NAME: "/sr/cur" })).not.toHaveProperty("previousSecretParameter");
    expect(webhookConfigFromEnv({ POOLS: pools, JOBS_TABLE: "sr-jobs", PREFIX: "sr", WEBHOOK_MAX_BODY_BYTES: "262144", ...ADMISSION_ENV_DEFAULTS, WEBHOOK_SECRET_SSM_PARAMETER_NAME: "/sr/cur", WEBHOOK_PREVIOUS_SECRET_SSM_PARAMETER_NAME: "" })).not.toHaveProperty("previousSecretParameter");
  });
});

const SECRET = "It's a Secret to Everybody";
const onlySecret = async (): Promise<WebhookSecrets> => ({ current: SECRET });

function signature(bytes: Uint8Array, secret = SECRET): string {
  return `sha256=${createHmac("sha256", secret).update(bytes).digest("hex")}`;
}

/** The fixture's JSON with an 0xFF byte inside the job's name, a string value: a lossy decoding is still valid JSON. */
function notUtf8Body(): Buffer {
  const text = JSON.stringify(workflowJobQueuedFixture());
  const at = text.indexOf('"build"') + 1;
  return Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from([0xff]), Buffer.from(text.slice(at))]);
}

describe("readBody", () => {
  it("returns the bytes, base64-decoded when API Gateway encoded them", () => {
    // Arrange
    const bytes = notUtf8Body();

    // Act
    const body = readBody({ body: bytes.toString("base64"), isBase64Encoded: true }, 65_536);

    // Assert
    expect(body.equals(bytes)).toBe(true);
  });

  it("fails when the decoded body is over the limit", () => {
    expect(() => readBody({ body: Buffer.alloc(11).toString("base64"), isBase64Encoded: true }, 10)).toThrow(PayloadTooLargeError);
  });
});

describe("verifySignature over bytes", () => {
  it("accepts the HMAC of the exact bytes", async () => {
    // Arrange
    const body = Buffer.from(JSON.stringify(workflowJobQueuedFixture()));

    // Act / Assert
    await expect(verifySignature({ headers: { "X-Hub-Signature-256": signature(body) } }, body, onlySecret)).resolves.toBe("current");
  });

  it.each([
    { name: "the bytes sent", signed: (bytes: Buffer) => bytes },
    { name: "their lossy UTF-8 decoding", signed: (bytes: Buffer) => Buffer.from(bytes.toString("utf8"), "utf8") },
  ])("fails when the body is not UTF-8, signed over $name", async ({ signed }) => {
    // Arrange
    const body = notUtf8Body();

    // Act / Assert
    await expect(verifySignature({ headers: { "x-hub-signature-256": signature(signed(body)) } }, body, onlySecret)).rejects.toThrow(InvalidSignatureError);
  });

  it("fails when the header is missing, before looking at the body", async () => {
    await expect(verifySignature({ headers: {} }, notUtf8Body(), onlySecret)).rejects.toThrow(MissingSignatureError);
  });
});

describe("parseJsonBody", () => {
  const json = JSON.stringify(workflowJobQueuedFixture());

  it.each(["application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=utf-8", "Application/X-WWW-Form-Urlencoded"])(
    "reads the payload field of GitHub's form content type (%s)",
    (contentType) => {
      // Arrange
      const body = Buffer.from(`${new URLSearchParams({ payload: json }).toString()}&other=1`);

      // Act / Assert
      expect(parseJsonBody(body, contentType)).toEqual(workflowJobQueuedFixture());
    },
  );

  it.each([undefined, "application/json", "text/plain"])("reads the body itself as JSON with content type %s", (contentType) => {
    expect(parseJsonBody(Buffer.from(json), contentType)).toEqual(workflowJobQueuedFixture());
  });

  it.each([
    { name: "a form body has no payload field", body: new URLSearchParams({ data: json }).toString(), contentType: "application/x-www-form-urlencoded" },
    { name: "a form body arrives as JSON", body: new URLSearchParams({ payload: json }).toString(), contentType: "application/json" },
    { name: "a JSON body arrives as form", body: json, contentType: "application/x-www-form-urlencoded" },
    { name: "the JSON starts with a byte order mark", body: `\uFEFF${json}`, contentType: "application/json" },
    { name: "the JSON is an array", body: "[]", contentType: "application/json" },
  ])("fails when $name", ({ body, contentType }) => {
    expect(() => parseJsonBody(Buffer.from(body), contentType)).toThrow(InvalidJsonBodyError);
  });
});
