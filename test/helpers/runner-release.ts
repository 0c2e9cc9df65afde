// Runner releases as GitHub's REST API answers them, built from the `release` example of GitHub's
// OpenAPI description and checked against its schema, with archives whose bytes the test chooses.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { RunnerPlatform } from "../../contracts/runner-binaries.js";
import { assertMatchesOpenApi } from "./openapi.js";

const require = createRequire(import.meta.url);
const examples = (JSON.parse(readFileSync(require.resolve("@octokit/openapi/generated/api.github.com.json"), "utf8")) as { components: { examples: Record<string, { value: Record<string, unknown> }> } }).components.examples;

export function sha256(bytes: Buffer | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export interface ReleaseArchive {
  readonly platform: RunnerPlatform;
  readonly bytes: Buffer;
  /** The asset's `digest`: by default `sha256:` of the bytes; null as on assets GitHub has not hashed. */
  readonly digest?: string | null;
  /** Writes the release notes' `<!-- BEGIN SHA -->` marker (by default with the bytes' SHA-256). */
  readonly notesSha256?: string | false;
}

export interface RunnerReleaseFixture {
  /** The JSON GitHub answers for `GET /repos/{owner}/{repo}/releases/latest` (schema-checked). */
  readonly answer: Record<string, unknown>;
  /** Download path (on `downloadBase`) -> archive bytes. */
  readonly downloads: ReadonlyMap<string, Buffer>;
}

/** A release of actions/runner with one archive per entry, downloadable under `downloadBase`. */
export function runnerRelease(version: string, archives: readonly ReleaseArchive[], downloadBase: string, repository = "actions/runner"): RunnerReleaseFixture {
  const release = structuredClone(examples.release!.value);
  const exampleAsset = (release.assets as Record<string, unknown>[])[0]!;
  const downloads = new Map<string, Buffer>();
  const notes = [`## Runner ${version}`];
  const assets = archives.map((archive, index) => {
    const name = `actions-runner-${archive.platform}-${version}.${archive.platform.startsWith("win") ? "zip" : "tar.gz"}`;
    const path = `/${repository}/releases/download/v${version}/${name}`;
    downloads.set(path, archive.bytes);
    const hash = sha256(archive.bytes);
    if (archive.notesSha256 !== false) notes.push(`- ${name} <!-- BEGIN SHA ${archive.platform} -->${archive.notesSha256 ?? hash}<!-- END SHA ${archive.platform} -->`);
    return {
      ...structuredClone(exampleAsset),
      id: 1000 + index,
      name,
      label: "",
      content_type: "application/octet-stream",
      size: archive.bytes.length,
      digest: archive.digest === undefined ? `sha256:${hash}` : archive.digest,
      browser_download_url: `${downloadBase}${path}`,
    };
  });
  const answer = { ...release, tag_name: `v${version}`, name: `v${version}`, body: notes.join("\n"), assets };
  assertMatchesOpenApi("GET", "/repos/{owner}/{repo}/releases/latest", 200, answer);
  return { answer, downloads };
}
