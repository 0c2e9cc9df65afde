import { mkdirSync, mkdtempSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const REPO_ROOT = resolve(fileURLToPath(new URL(".", import.meta.url)), "..", "..");

/** A fresh directory under .test-out/ (git-ignored), kept after the run for inspection. */
export function scratchDir(name: string): string {
  const base = join(REPO_ROOT, ".test-out");
  mkdirSync(base, { recursive: true });
  return mkdtempSync(join(base, `${name}-`));
}
