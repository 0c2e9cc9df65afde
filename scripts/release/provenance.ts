/**
 * The release's provenance as an in-toto v1 Statement with a SLSA v1 build provenance predicate
 * (https://slsa.dev/spec/v1.0/provenance): which files (by sha256), built from which commit, by
 * which builder. It is unsigned; in GitHub Actions, actions/attest-build-provenance signs an
 * equivalent statement with Sigstore (examples/github-workflows/release.yml).
 */
import type { Digested } from "./checksums.js";

export const IN_TOTO_STATEMENT_TYPE = "https://in-toto.io/Statement/v1";
export const SLSA_PROVENANCE_TYPE = "https://slsa.dev/provenance/v1";
/** What kind of build this is: scripts/release of this repository, parameters version 1 (docs/releasing.md). */
export const BUILD_TYPE = "urn:self-runners:release:v1";

/** The commit a release was built from. */
export interface SourceRevision {
  /** Where the source lives, e.g. git+https://github.com/org/self-runners@refs/tags/v1.2.0. */
  readonly uri: string;
  /** The full commit id. */
  readonly commit: string;
  /** Whether the work tree had uncommitted changes (a release refuses that unless allowed). */
  readonly dirty: boolean;
}

export interface ProvenanceInput {
  readonly subjects: readonly Digested[];
  readonly version: string;
  readonly source: SourceRevision;
  /** Identifies the builder: the workflow in CI, a local marker otherwise. */
  readonly builderId: string;
  /** A link to this run (the Actions run URL in CI). */
  readonly invocationId?: string;
  /** sha256 of package-lock.json, the resolved npm dependencies. */
  readonly lockfileSha256: string;
  readonly startedOn: string;
  readonly finishedOn: string;
  /** Build environment facts worth recording (Node.js version, platform). */
  readonly environment: Readonly<Record<string, string>>;
}

export function provenanceStatement(input: ProvenanceInput): Record<string, unknown> {
  return {
    _type: IN_TOTO_STATEMENT_TYPE,
    subject: input.subjects.map((s) => ({ name: s.name, digest: { sha256: s.sha256 } })),
    predicateType: SLSA_PROVENANCE_TYPE,
    predicate: {
      buildDefinition: {
        buildType: BUILD_TYPE,
        externalParameters: { version: input.version, source: { uri: input.source.uri, digest: { gitCommit: input.source.commit } } },
        internalParameters: { ...input.environment, sourceTreeDirty: input.source.dirty },
        resolvedDependencies: [
          { uri: input.source.uri, digest: { gitCommit: input.source.commit } },
          { name: "package-lock.json", digest: { sha256: input.lockfileSha256 } },
        ],
      },
      runDetails: {
        builder: { id: input.builderId },
        metadata: {
          ...(input.invocationId ? { invocationId: input.invocationId } : {}),
          startedOn: input.startedOn,
          finishedOn: input.finishedOn,
        },
      },
    },
  };
}

/** The builder id and run link from GitHub Actions' environment, or a local marker outside it. */
export function builderFromEnvironment(env: NodeJS.ProcessEnv): { builderId: string; invocationId?: string } {
  const server = env.GITHUB_SERVER_URL ?? "https://github.com";
  if (env.GITHUB_ACTIONS === "true" && env.GITHUB_WORKFLOW_REF) {
    const run = env.GITHUB_RUN_ID ? `${server}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}/attempts/${env.GITHUB_RUN_ATTEMPT ?? "1"}` : undefined;
    return { builderId: `${server}/${env.GITHUB_WORKFLOW_REF}`, ...(run ? { invocationId: run } : {}) };
  }
  return { builderId: "urn:self-runners:builder:local" };
}
