import { AWS_CLI_ARCHIVES, type AwsCliPlatform } from "../../contracts/aws-cli.js";
import { RUNNER_PLATFORMS } from "../../contracts/runner-binaries.js";
import type { RunnerPlatform } from "../../contracts/runner-binaries.js";

/** A release as GitHub's REST API returns it (`release` schema), reduced to what the syncer reads. */
export interface ReleaseAnswer {
  readonly tag_name: string;
  readonly body?: string | null;
  readonly draft?: boolean;
  readonly prerelease?: boolean;
  readonly assets: readonly {
    readonly id: number;
    readonly name: string;
    readonly size: number;
    /** `sha256:<hex>` since GitHub added asset digests; null on older assets and on some GHES versions. */
    readonly digest?: string | null;
    readonly browser_download_url: string;
  }[];
}

/** One archive to copy: where it comes from, what it must hash to, where it goes. */
export interface AssetPlan {
  readonly platform: RunnerPlatform;
  readonly name: string;
  readonly assetId: number;
  readonly url: string;
  readonly size: number;
  readonly sha256: string;
  readonly key: string;
}

export type ReleasePlan =
  | { readonly kind: "sync"; readonly version: string; readonly tag: string; readonly assets: readonly AssetPlan[] }
  | { readonly kind: "refuse"; readonly reason: string };

const VERSION = /^(\d+)\.(\d+)\.(\d+)$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** `2.329.0` -> [2, 329, 0]; undefined for anything else (`v` prefixes are dropped first). */
export function parseVersion(text: string): readonly [number, number, number] | undefined {
  const match = VERSION.exec(text.replace(/^v/, ""));
  return match === null ? undefined : [Number(match[1]), Number(match[2]), Number(match[3])];
}

/** Negative, zero or positive as `a` is older than, equal to or newer than `b`; both must parse. */
export function compareVersions(a: string, b: string): number {
  const [left, right] = [parseVersion(a), parseVersion(b)];
  if (left === undefined || right === undefined) throw new Error(`not a runner version: ${left === undefined ? a : b}`);
  return left[0] - right[0] || left[1] - right[1] || left[2] - right[2];
}

/** Refuses a pinned `runner_version` GitHub would not register; `latest` is judged once resolved. */
export function checkRequestedVersion(requested: string, minimum: string): { readonly kind: "ok" } | { readonly kind: "refuse"; readonly reason: string } {
  if (requested === "latest") return { kind: "ok" };
  if (parseVersion(requested) === undefined) return { kind: "refuse", reason: `runner version "${requested}" is neither "latest" nor a version like ${minimum}` };
  if (compareVersions(requested, minimum) < 0) return { kind: "refuse", reason: `runner version ${requested} is older than ${minimum}, the oldest GitHub registers` };
  return { kind: "ok" };
}

/** The archive name the runner's releases use, e.g. actions-runner-linux-x64-2.329.0.tar.gz. */
export function archiveName(platform: RunnerPlatform, version: string): string {
  return `actions-runner-${platform}-${version}.${RUNNER_PLATFORMS[platform].archive}`;
}

/**
 * The SHA-256 GitHub publishes for a platform's archive: the asset's `digest` field and the release
 * notes' `<!-- BEGIN SHA linux-x64 -->hex<!-- END SHA linux-x64 -->` markers (what actions/runner's
 * release workflow writes). When both exist they must agree; when neither does the archive is refused.
 */
export function publishedSha256(
  platform: RunnerPlatform,
  digest: string | null | undefined,
  body: string | null | undefined,
): { readonly sha256: string } | { readonly reason: string } {
  const fromDigest = digest?.startsWith("sha256:") === true ? digest.slice("sha256:".length).toLowerCase() : undefined;
  const marker = new RegExp(`<!--\\s*BEGIN SHA ${platform}\\s*-->\\s*([0-9a-fA-F]{64})\\s*<!--\\s*END SHA ${platform}\\s*-->`).exec(body ?? "");
  const fromNotes = marker?.[1]?.toLowerCase();
  for (const value of [fromDigest, fromNotes]) if (value !== undefined && !SHA256_HEX.test(value)) return { reason: `${platform}: published digest "${value}" is not a SHA-256` };
  if (fromDigest !== undefined && fromNotes !== undefined && fromDigest !== fromNotes) return { reason: `${platform}: the asset digest and the release notes disagree` };
  const sha256 = fromDigest ?? fromNotes;
  return sha256 === undefined ? { reason: `${platform}: GitHub publishes no SHA-256 for the archive` } : { sha256 };
}

/**
 * What to copy from a release: one archive per platform, each with its published SHA-256 and its key
 * (`<prefix>v<version>/<archive>`: versions never overwrite each other). Refuses the whole release when
 * it is older than the minimum, a draft, or any platform's archive or checksum is missing, so a
 * half-synced release is never announced to instances.
 */
export function planRelease(release: ReleaseAnswer, platforms: readonly RunnerPlatform[], minimum: string, prefix: string): ReleasePlan {
  const version = release.tag_name.replace(/^v/, "");
  if (parseVersion(version) === undefined) return { kind: "refuse", reason: `release tag "${release.tag_name}" is not a runner version` };
  if (release.draft === true) return { kind: "refuse", reason: `release ${release.tag_name} is a draft` };
  if (compareVersions(version, minimum) < 0) return { kind: "refuse", reason: `release ${version} is older than ${minimum}, the oldest GitHub registers` };
  const assets: AssetPlan[] = [];
  for (const platform of platforms) {
    const name = archiveName(platform, version);
    const asset = release.assets.find((candidate) => candidate.name === name);
    if (asset === undefined) return { kind: "refuse", reason: `release ${version} has no asset ${name}` };
    const checksum = publishedSha256(platform, asset.digest, release.body);
    if ("reason" in checksum) return { kind: "refuse", reason: checksum.reason };
    assets.push({ platform, name, assetId: asset.id, url: asset.browser_download_url, size: asset.size, sha256: checksum.sha256, key: `${prefix}v${version}/${name}` });
  }
  return { kind: "sync", version, tag: release.tag_name, assets };
}

/** Platform names from the RUNNER_PLATFORMS input, refusing any the table does not know. */
export function parsePlatforms(names: readonly string[]): RunnerPlatform[] {
  const unknown = names.filter((name) => !(name in RUNNER_PLATFORMS));
  if (unknown.length > 0) throw new Error(`unknown runner platforms: ${unknown.join(", ")} (known: ${Object.keys(RUNNER_PLATFORMS).join(", ")})`);
  return [...new Set(names)] as RunnerPlatform[];
}

/** Platform names from the AWS_CLI_PLATFORMS input (Linux only: AWS publishes no other installer zip). */
export function parseAwsCliPlatforms(names: readonly string[]): AwsCliPlatform[] {
  const unknown = names.filter((name) => !(name in AWS_CLI_ARCHIVES));
  if (unknown.length > 0) throw new Error(`no AWS CLI installer for ${unknown.join(", ")} (known: ${Object.keys(AWS_CLI_ARCHIVES).join(", ")})`);
  return [...new Set(names)] as AwsCliPlatform[];
}
