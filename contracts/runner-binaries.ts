import { GITHUB_APP_ENV, POWERTOOLS_ENV } from "./common.js";
import { AWS_CLI_DOWNLOAD_URL } from "./aws-cli.js";
import { json, optional, required, string, tunable, url } from "./env.js";

/**
 * The oldest runner GitHub still lets register. GitHub announces the floor in its changelog and refuses
 * `config.sh`/JIT registration of older runners; source: docs.github.com "Self-hosted runners reference",
 * section "Requirements for self-hosted runner machines", and the runner's releases (the floor was
 * raised to 2.329.0 in 2026). The `runner_version` rule (stacks/errors.ts) and the boot check use it.
 */
export const MINIMUM_RUNNER_VERSION = "2.329.0";

/**
 * Runner release archives by platform (`<os>-<arch>` as the release names them). A pool's OS and
 * architecture select a row; windows archives are zips, the others tarballs.
 */
export const RUNNER_PLATFORMS = {
  "linux-x64": { os: "linux", architecture: "x64", archive: "tar.gz" },
  "linux-arm64": { os: "linux", architecture: "arm64", archive: "tar.gz" },
  "win-x64": { os: "windows", architecture: "x64", archive: "zip" },
} as const;
export type RunnerPlatform = keyof typeof RUNNER_PLATFORMS;

/** Object key, under the binaries prefix, of the document instances read at boot. */
export const RESOLVED_RUNNER_KEY = "resolved-version.json";

/**
 * What the syncer writes at `<prefix>resolved-version.json` and what runner instances read: the synced
 * release, and per platform the object key and the SHA-256 GitHub published for the archive.
 */
export interface ResolvedRunnerRelease {
  readonly version: string;
  readonly tag: string;
  /** ETag of the release answer, sent back as If-None-Match on the next run. */
  readonly etag?: string;
  /** The `runner_version` input it was resolved from (`latest` or a version). */
  readonly requested: string;
  readonly syncedAt: string;
  readonly assets: Readonly<Record<string, { readonly key: string; readonly sha256: string; readonly size: number }>>;
  /**
   * The AWS CLI v2 installer per platform (contracts/aws-cli.ts), signature-checked, for the Ubuntu
   * bootstraps; `etag` is AWS's, sent back as If-None-Match. Absent when no Ubuntu pool exists.
   */
  readonly awsCli?: Readonly<Record<string, { readonly key: string; readonly sha256: string; readonly size: number; readonly etag?: string }>>;
}

/** The runner binaries syncer's environment (lambdas/runner-binaries-syncer, stacks/functions/runner-binaries-syncer-function.ts). */
export const RUNNER_BINARIES_SYNCER_ENV = {
  ...POWERTOOLS_ENV,
  githubApiUrl: { ...GITHUB_APP_ENV.githubApiUrl, doc: "GitHub REST API root the runner releases are read from (GitHub Enterprise Server: `https://<host>/api/v3`)" },
  githubAppId: optional("GITHUB_APP_ID", GITHUB_APP_ENV.githubAppId.type, "the GitHub App's id; with the key, release lookups use its first installation's token (else they are anonymous)", "123456"),
  githubAppPrivateKeySsmParameterName: optional("GITHUB_APP_PRIVATE_KEY_SSM_PARAMETER_NAME", string, "SSM SecureString holding the App's PEM private key", "/sr/github-app-key"),
  runnerReleaseRepository: tunable("RUNNER_RELEASE_REPOSITORY", string, "actions/runner", "`owner/repo` whose releases hold the runner archives (a GitHub Enterprise Server mirror of actions/runner)"),
  runnerVersion: required("RUNNER_VERSION", string, "`latest` or the pinned runner version (at least the minimum)", "latest"),
  minimumRunnerVersion: tunable("MINIMUM_RUNNER_VERSION", string, MINIMUM_RUNNER_VERSION, "the oldest runner version GitHub registers; older releases are refused"),
  runnerPlatforms: required("RUNNER_PLATFORMS", json({ kind: "strings" }), "the `<os>-<arch>` archives to sync (from the pools)", '["linux-x64","linux-arm64"]'),
  awsCliPlatforms: optional("AWS_CLI_PLATFORMS", json({ kind: "strings" }), "the `linux-<arch>` platforms whose AWS CLI v2 installer is synced (those of the Ubuntu pools); unset or []: none", '["linux-x64"]'),
  awsCliDownloadUrl: tunable("AWS_CLI_DOWNLOAD_URL", url, AWS_CLI_DOWNLOAD_URL, "where AWS publishes the AWS CLI v2 installers and their signatures"),
  bucketName: required("BUCKET_NAME", string, "the runner binaries bucket", "sr-runner-binaries-123456789012"),
  objectPrefix: tunable("OBJECT_PREFIX", string, "runner/", "key prefix of the archives and the resolved-version document; the runner role reads only below it"),
} as const;
