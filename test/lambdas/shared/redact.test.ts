import { Logger } from "@aws-lambda-powertools/logger";
import { afterEach, describe, expect, it, vi } from "vitest";
import { REDACTED, redactSecrets, redactText } from "../../../lambdas/shared/redact.js";

const PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx4\nabc\n-----END RSA PRIVATE KEY-----";
const INSTALLATION_TOKEN = "ghs_16C7e42F292c6912E7710c838347Ae178B4a";
const JWT = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiIxMjM0NTYiLCJpYXQiOjE3MTc2NjgwMDB9.c2lnbmF0dXJlLXNpZ25hdHVyZQ";

describe("redactText", () => {
  it.each([
    { name: "a PEM private key", text: `key: ${PEM} end`, expected: `key: ${REDACTED} end` },
    { name: "a GitHub installation token", text: `installation ${INSTALLATION_TOKEN}`, expected: `installation ${REDACTED}` },
    { name: "a JWT", text: `jwt=${JWT}`, expected: `jwt=${REDACTED}` },
    { name: "a bearer credential", text: "Authorization: bearer abcdefghijklmnopqrstuvwxyz012345", expected: `Authorization: ${REDACTED}` },
  ])("replaces $name", ({ text, expected }) => {
    expect(redactText(text)).toBe(expected);
  });

  it("leaves ordinary text alone", () => {
    const text = "GitHub generate-jitconfig failed with status 422 for runner self-runners-i-0abc";
    expect(redactText(text)).toBe(text);
  });
});

describe("redactSecrets (the logger's JSON replacer)", () => {
  it("redacts values of secret field names whatever their case or separators", () => {
    const record = { jitConfig: "eyJ...", encoded_jit_config: "abc", Authorization: "token x", "X-Hub-Signature-256": "sha256=1", privateKey: "k", pool: "linux" };
    expect(JSON.parse(JSON.stringify(record, redactSecrets))).toEqual({
      jitConfig: REDACTED,
      encoded_jit_config: REDACTED,
      Authorization: REDACTED,
      "X-Hub-Signature-256": REDACTED,
      privateKey: REDACTED,
      pool: "linux",
    });
  });
});

describe("the shared logger configuration", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("writes no token, key or JIT config even when an error object carries them", () => {
    // Arrange: a logger configured like lambdas/shared/logger.ts, writing to captured stdout and stderr.
    const lines: string[] = [];
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, "write").mockImplementation((chunk: string | Uint8Array) => {
        lines.push(String(chunk));
        return true;
      });
    }
    const logger = new Logger({ serviceName: "redaction-test", logLevel: "INFO", jsonReplacerFn: redactSecrets });
    const error = Object.assign(new Error(`request failed for ${INSTALLATION_TOKEN}`), {
      request: { method: "POST", headers: { authorization: `token ${INSTALLATION_TOKEN}` }, body: { jitconfig: "c2VjcmV0" } },
      response: { data: { encoded_jit_config: "c2VjcmV0LWppdA==", runner: { id: 42 } } },
    });

    // Act
    logger.error("runner registration failed", { error, privateKey: PEM, instanceId: "i-0abc" });

    // Assert
    const output = lines.join("");
    expect(output).toContain("runner registration failed");
    expect(output).toContain("i-0abc");
    expect(output).toContain('"id":42');
    for (const secret of [INSTALLATION_TOKEN, "c2VjcmV0", "MIIEowIBAAKCAQEAx4"]) expect(output).not.toContain(secret);
  });
});
