import { describe, expect, it } from "vitest";
import { IN_TOTO_STATEMENT_TYPE, SLSA_PROVENANCE_TYPE, builderFromEnvironment, provenanceStatement } from "../../scripts/release/provenance.js";

const SOURCE = { uri: "git+https://github.com/acme/self-runners@refs/tags/v1.2.0", commit: "a".repeat(40), dirty: false };

describe("the provenance statement", () => {
  const statement = provenanceStatement({
    subjects: [
      { name: "webhook.zip", sha256: "1".repeat(64) },
      { name: "webhook.cdx.json", sha256: "2".repeat(64) },
    ],
    version: "1.2.0",
    source: SOURCE,
    builderId: "https://github.com/acme/self-runners/.github/workflows/release.yml@refs/tags/v1.2.0",
    invocationId: "https://github.com/acme/self-runners/actions/runs/1/attempts/1",
    lockfileSha256: "3".repeat(64),
    startedOn: "2027-01-31T10:00:00.000Z",
    finishedOn: "2027-01-31T10:01:00.000Z",
    environment: { node: "v22.13.0" },
  }) as {
    _type: string;
    predicateType: string;
    subject: { name: string; digest: { sha256: string } }[];
    predicate: { buildDefinition: { externalParameters: { source: { digest: { gitCommit: string } } }; resolvedDependencies: unknown[] }; runDetails: { builder: { id: string }; metadata: Record<string, string> } };
  };

  it("is an in-toto v1 Statement with a SLSA v1 provenance predicate", () => {
    expect(statement._type).toBe(IN_TOTO_STATEMENT_TYPE);
    expect(IN_TOTO_STATEMENT_TYPE).toBe("https://in-toto.io/Statement/v1");
    expect(statement.predicateType).toBe(SLSA_PROVENANCE_TYPE);
    expect(SLSA_PROVENANCE_TYPE).toBe("https://slsa.dev/provenance/v1");
  });

  it("names every artifact by sha256, the source commit and the builder", () => {
    expect(statement.subject).toEqual([
      { name: "webhook.zip", digest: { sha256: "1".repeat(64) } },
      { name: "webhook.cdx.json", digest: { sha256: "2".repeat(64) } },
    ]);
    expect(statement.predicate.buildDefinition.externalParameters.source.digest.gitCommit).toBe(SOURCE.commit);
    expect(statement.predicate.buildDefinition.resolvedDependencies).toContainEqual({ name: "package-lock.json", digest: { sha256: "3".repeat(64) } });
    expect(statement.predicate.runDetails.builder.id).toMatch(/release\.yml@refs\/tags\/v1\.2\.0$/);
    expect(statement.predicate.runDetails.metadata).toMatchObject({ startedOn: "2027-01-31T10:00:00.000Z", invocationId: expect.stringContaining("/actions/runs/1") });
  });
});

describe("the builder", () => {
  it("is the workflow and its run in GitHub Actions", () => {
    expect(
      builderFromEnvironment({
        GITHUB_ACTIONS: "true",
        GITHUB_SERVER_URL: "https://github.com",
        GITHUB_REPOSITORY: "acme/self-runners",
        GITHUB_WORKFLOW_REF: "acme/self-runners/.github/workflows/release.yml@refs/tags/v1.2.0",
        GITHUB_RUN_ID: "42",
        GITHUB_RUN_ATTEMPT: "2",
      }),
    ).toEqual({
      builderId: "https://github.com/acme/self-runners/.github/workflows/release.yml@refs/tags/v1.2.0",
      invocationId: "https://github.com/acme/self-runners/actions/runs/42/attempts/2",
    });
  });

  it("is a local marker outside GitHub Actions", () => {
    expect(builderFromEnvironment({})).toEqual({ builderId: "urn:self-runners:builder:local" });
  });
});
