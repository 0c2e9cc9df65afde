/**
 * The AWS CLI v2 installers for the Ubuntu bootstraps (contracts/aws-cli.ts): each platform's archive is
 * fetched conditionally (ETag), its detached signature checked against AWS's published key with OpenPGP.js
 * (no hand-written crypto), and only then written to the bucket under its SHA-256.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { readKey, readSignature, createMessage, verify } from "openpgp";
import { AWS_CLI_ARCHIVES, AWS_CLI_SIGNING_KEY, awsCliObjectKey, type AwsCliPlatform } from "../../contracts/aws-cli.js";
import type { ResolvedRunnerRelease } from "../../contracts/runner-binaries.js";
import { childLogger } from "../shared/index.js";
import type { AwsCliSource } from "./adapters/aws-cli-downloads.js";
import type { BinaryStore } from "./adapters/s3.js";
import { AwsCliSignatureError } from "./errors.js";

const log = childLogger("runner-binaries-syncer");

export type AwsCliAssets = NonNullable<ResolvedRunnerRelease["awsCli"]>;

export interface AwsCliDeps {
  readonly source: AwsCliSource;
  readonly platforms: readonly AwsCliPlatform[];
  /** The armored key signatures must verify against (default: AWS's, contracts/aws-cli.ts). */
  readonly signingKey?: string;
  /** When signatures are judged (key expiry); default now. */
  readonly now?: () => Date;
}

/** Throws {@link AwsCliSignatureError} unless `signature` is a valid signature of `data` by `armoredKey`. */
export async function verifyDetachedSignature(name: string, data: Uint8Array, signature: Uint8Array, armoredKey: string, date: Date): Promise<void> {
  const armored = new TextDecoder().decode(signature.subarray(0, 64)).includes("-----BEGIN PGP SIGNATURE-----");
  try {
    const [key, parsed, message] = await Promise.all([
      readKey({ armoredKey }),
      armored ? readSignature({ armoredSignature: new TextDecoder().decode(signature) }) : readSignature({ binarySignature: signature }),
      createMessage({ binary: data }),
    ]);
    // expectSigned: a bad or foreign signature rejects instead of being reported as unverified.
    await verify({ message, signature: parsed, verificationKeys: key, expectSigned: true, format: "binary", date });
  } catch (error) {
    throw new AwsCliSignatureError(name, (error as Error).message);
  }
}

/**
 * Brings the bucket's AWS CLI installers up to date: per platform, a 304 keeps the current one; a new
 * archive is verified first and written under its SHA-256. Returns the manifest entries (what
 * resolved-version.json announces) and whether any changed. Every new archive is verified before any is
 * written, so a bad signature leaves the bucket and the manifest as they were.
 */
export async function syncAwsCli(deps: AwsCliDeps, store: BinaryStore, prefix: string, current: AwsCliAssets | undefined, scratch: string): Promise<{ readonly assets: AwsCliAssets; readonly copied: readonly string[] }> {
  const assets: Record<string, AwsCliAssets[string]> = {};
  const verified: Array<{ platform: AwsCliPlatform; file: string; sha256: string; bytes: number; etag?: string }> = [];
  for (const platform of deps.platforms) {
    const name = AWS_CLI_ARCHIVES[platform];
    const known = current?.[platform];
    const file = join(scratch, name);
    const download = await deps.source.installer(name, known?.etag, file);
    if (download.kind === "not modified" && known !== undefined) {
      assets[platform] = known;
      continue;
    }
    if (download.kind === "not modified") throw new AwsCliSignatureError(name, "AWS answered 304 to an unconditional request");
    const data = await readFile(file);
    await verifyDetachedSignature(name, data, await deps.source.signature(name), deps.signingKey ?? AWS_CLI_SIGNING_KEY, (deps.now ?? (() => new Date()))());
    verified.push({ platform, file, sha256: download.sha256, bytes: download.bytes, ...(download.etag === undefined ? {} : { etag: download.etag }) });
  }
  const copied: string[] = [];
  for (const archive of verified) {
    const key = awsCliObjectKey(prefix, archive.platform, archive.sha256);
    if (!(await store.holds(key, archive.sha256))) {
      await store.putArchive(key, archive.file, archive.sha256, archive.bytes);
      copied.push(key);
    }
    assets[archive.platform] = { key, sha256: archive.sha256, size: archive.bytes, ...(archive.etag === undefined ? {} : { etag: archive.etag }) };
  }
  if (copied.length > 0) log.info("AWS CLI installers synced", { copied });
  return { assets, copied };
}
