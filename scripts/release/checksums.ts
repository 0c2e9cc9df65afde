import { createHash } from "node:crypto";

export function sha256(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** A file of the release and its digest. */
export interface Digested {
  readonly name: string;
  readonly sha256: string;
}

/**
 * The `SHA256SUMS` text as GNU `sha256sum` writes it (hex digest, two spaces, name; sorted by name),
 * so `sha256sum -c SHA256SUMS` checks the downloaded files.
 */
export function sha256sums(files: readonly Digested[]): string {
  return [...files]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((f) => `${f.sha256}  ${f.name}\n`)
    .join("");
}

/** Reads a `SHA256SUMS` text back (the inverse of {@link sha256sums}). */
export function parseSha256sums(text: string): Digested[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const match = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
      if (!match) throw new Error(`not a sha256sum line: ${line}`);
      return { sha256: match[1]!, name: match[2]! };
    });
}
