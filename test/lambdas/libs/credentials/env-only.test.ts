import { afterEach, describe, expect, it, vi } from "vitest";
import { defaultProvider } from "../../../../lambdas/libs/credentials/env-only.js";

// The layer-free bundles' stand-in for the SDK's default credential chain: the environment's
// credentials, read once and kept as the chain keeps them (refreshed 5 minutes before they expire).

afterEach(() => vi.unstubAllEnvs());

function stubCredentials(accessKeyId: string, expiration?: Date): void {
  vi.stubEnv("AWS_ACCESS_KEY_ID", accessKeyId);
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "secret");
  vi.stubEnv("AWS_SESSION_TOKEN", "token");
  vi.stubEnv("AWS_CREDENTIAL_EXPIRATION", expiration?.toISOString() ?? "");
}

describe("defaultProvider (env-only)", () => {
  it("reads the environment's credentials once for the life of the environment when they do not expire", async () => {
    stubCredentials("AKID1");
    const provider = defaultProvider();
    expect(await provider()).toMatchObject({ accessKeyId: "AKID1", secretAccessKey: "secret", sessionToken: "token" });
    stubCredentials("AKID2");
    expect((await provider()).accessKeyId).toBe("AKID1");
  });

  it("reads them again when they expire within 5 minutes, as the SDK's chain does", async () => {
    stubCredentials("AKID1", new Date(Date.now() + 60_000));
    const provider = defaultProvider();
    expect((await provider()).accessKeyId).toBe("AKID1");
    stubCredentials("AKID2", new Date(Date.now() + 3_600_000));
    expect((await provider()).accessKeyId).toBe("AKID2");
    stubCredentials("AKID3", new Date(Date.now() + 3_600_000));
    expect((await provider()).accessKeyId).toBe("AKID2");
  });

  it("fails when the environment has no credentials", async () => {
    vi.stubEnv("AWS_ACCESS_KEY_ID", "");
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", "");
    await expect(defaultProvider()()).rejects.toThrow(/environment variable credentials/);
  });
});
