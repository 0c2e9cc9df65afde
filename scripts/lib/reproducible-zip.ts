import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { zipSync, type Zippable } from "fflate";

/**
 * Fixed metadata for every entry. Zip timestamps are DOS dates, which start in 1980; a fixed
 * date, fixed Unix mode bits and sorted entries make the archive a pure function of file contents,
 * so `terraform plan` sees the same `source_code_hash` after every rebuild.
 */
const FIXED_MTIME = new Date("1980-01-01T00:00:00Z");
const UNIX_HOST = 3;
const REGULAR_FILE_0644 = (0o100644 << 16) >>> 0;

/** Every file below `root`, as forward-slash paths relative to it, sorted. */
export function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.push(relative(root, full).split(sep).join("/"));
    }
  };
  walk(root);
  return out.sort();
}

/** Zips the directory `root` into `zipPath` byte-for-byte reproducibly; returns the archive size. */
export function writeReproducibleZip(root: string, zipPath: string): number {
  const entries: Zippable = {};
  for (const file of listFiles(root)) {
    entries[file] = [
      new Uint8Array(readFileSync(join(root, file))),
      { level: 9, mtime: FIXED_MTIME, os: UNIX_HOST, attrs: REGULAR_FILE_0644 },
    ];
  }
  const bytes = zipSync(entries, { level: 9, mtime: FIXED_MTIME });
  writeFileSync(zipPath, bytes);
  return bytes.byteLength;
}
