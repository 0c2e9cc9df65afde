import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ResolvedRunnerRelease, RunnerPlatform } from "../../contracts/runner-binaries.js";
import { childLogger } from "../shared/index.js";
import type { ReleaseSource } from "./adapters/github.js";
import type { BinaryStore } from "./adapters/s3.js";
import { syncAwsCli, type AwsCliAssets, type AwsCliDeps } from "./aws-cli.js";
import { checkRequestedVersion, planRelease } from "./decide.js";
import type { AssetPlan } from "./decide.js";
import { RunnerChecksumMismatchError, RunnerReleaseRefusedError } from "./errors.js";

const log = childLogger("runner-binaries-syncer");

export interface SyncDeps {
  readonly source: ReleaseSource;
  readonly store: BinaryStore;
  readonly requested: string;
  readonly minimum: string;
  readonly platforms: readonly RunnerPlatform[];
  readonly prefix: string;
  readonly now: () => Date;
  /** Scratch directory for downloads (Lambda: /tmp). */
  readonly scratch?: string;
  /** The AWS CLI installers of the Ubuntu pools (none: the document carries no `awsCli`). */
  readonly awsCli?: AwsCliDeps;
}

export type SyncSummary =
  | { readonly change: "not modified"; readonly version: string; readonly awsCliCopied?: readonly string[] }
  | { readonly change: "synced"; readonly version: string; readonly copied: readonly string[]; readonly kept: readonly string[]; readonly awsCliCopied?: readonly string[] };

/**
 * Copies the requested runner release into the bucket and then announces it in the resolved-version
 * document. Every archive is downloaded and checked against GitHub's published SHA-256 before any is
 * written; the document is written last, so instances only ever see a complete, verified release.
 */
export async function syncRunnerBinaries(deps: SyncDeps): Promise<SyncSummary> {
  const requestCheck = checkRequestedVersion(deps.requested, deps.minimum);
  if (requestCheck.kind === "refuse") throw refused(requestCheck.reason);

  const current = await deps.store.readResolved();
  const etag = current !== undefined && current.requested === deps.requested && deps.platforms.every((p) => current.assets[p] !== undefined) ? current.etag : undefined;
  const lookup = await deps.source.release(deps.requested, etag);
  if (lookup.kind === "not modified" && current !== undefined) {
    log.info("runner release not modified", { version: current.version });
    const cli = await withScratch(deps, (scratch) => awsCliAssets(deps, current.awsCli, scratch));
    if (cli !== undefined && !sameAwsCli(cli.assets, current.awsCli)) await deps.store.writeResolved({ ...current, awsCli: cli.assets });
    return { change: "not modified", version: current.version, ...(cli === undefined ? {} : { awsCliCopied: cli.copied }) };
  }
  if (lookup.kind === "not modified") throw refused("GitHub answered 304 to an unconditional request");

  const plan = planRelease(lookup.release, deps.platforms, deps.minimum, deps.prefix);
  if (plan.kind === "refuse") throw refused(plan.reason);

  // An archive already in the bucket with the same SHA-256 (a platform added, a retried run) is kept.
  const toCopy: AssetPlan[] = [];
  const kept: string[] = [];
  for (const asset of plan.assets) {
    if (await deps.store.holds(asset.key, asset.sha256)) kept.push(asset.key);
    else toCopy.push(asset);
  }

  const cli = await withScratch(deps, async (scratch) => {
    const files = new Map<string, { file: string; bytes: number }>();
    for (const asset of toCopy) {
      const file = join(scratch, asset.name);
      const download = await deps.source.download(asset.url, file);
      if (download.sha256 !== asset.sha256) {
        log.error("runner archive checksum mismatch, nothing written", { asset: asset.name, expected: asset.sha256, actual: download.sha256 });
        throw new RunnerChecksumMismatchError(asset.name, asset.sha256, download.sha256);
      }
      files.set(asset.key, { file, bytes: download.bytes });
    }
    for (const asset of toCopy) {
      const { file, bytes } = files.get(asset.key)!;
      await deps.store.putArchive(asset.key, file, asset.sha256, bytes);
    }
    return awsCliAssets(deps, current?.awsCli, scratch);
  });

  const document: ResolvedRunnerRelease = {
    version: plan.version,
    tag: plan.tag,
    ...(lookup.etag === undefined ? {} : { etag: lookup.etag }),
    requested: deps.requested,
    syncedAt: deps.now().toISOString(),
    assets: Object.fromEntries(plan.assets.map((asset) => [asset.platform, { key: asset.key, sha256: asset.sha256, size: asset.size }])),
    ...(cli === undefined ? {} : { awsCli: cli.assets }),
  };
  await deps.store.writeResolved(document);
  const copied = toCopy.map((asset) => asset.key);
  log.info("runner release synced", { version: plan.version, copied, kept });
  return { change: "synced", version: plan.version, copied, kept, ...(cli === undefined ? {} : { awsCliCopied: cli.copied }) };
}

async function withScratch<T>(deps: SyncDeps, work: (scratch: string) => Promise<T>): Promise<T> {
  const scratch = await mkdtemp(join(deps.scratch ?? tmpdir(), "runner-binaries-"));
  try {
    return await work(scratch);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The AWS CLI part of the document, brought up to date (undefined when no pool needs the CLI). */
async function awsCliAssets(deps: SyncDeps, current: AwsCliAssets | undefined, scratch: string) {
  if (deps.awsCli === undefined || deps.awsCli.platforms.length === 0) return undefined;
  return syncAwsCli(deps.awsCli, deps.store, deps.prefix, current, scratch);
}

function sameAwsCli(next: AwsCliAssets, current: AwsCliAssets | undefined): boolean {
  const entries = Object.entries(next);
  return current !== undefined && entries.length === Object.keys(current).length && entries.every(([platform, asset]) => current[platform]?.sha256 === asset.sha256 && current[platform]?.etag === asset.etag);
}

function refused(reason: string): RunnerReleaseRefusedError {
  log.error("runner release refused, the bucket is left as it is", { reason });
  return new RunnerReleaseRefusedError(reason);
}
