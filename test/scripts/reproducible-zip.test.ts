import { mkdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { unzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { writeReproducibleZip } from "../../scripts/lib/reproducible-zip.js";
import { scratchDir } from "../helpers/paths.js";

function tree(files: Record<string, string>, mtime: Date): string {
  const dir = scratchDir("zip-src");
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
    utimesSync(join(dir, name), mtime, mtime);
  }
  return dir;
}

describe("writeReproducibleZip", () => {
  const files = { "index.js": "exports.handler = async () => 1;\n", "index.js.map": "{}", "lib/a.js": "a" };

  it("gives byte-identical archives for the same contents, whatever the files' times or creation order", () => {
    const out = scratchDir("zip-out");
    const first = tree(files, new Date("2020-01-01T00:00:00Z"));
    const reordered = Object.fromEntries(Object.entries(files).reverse());
    const second = tree(reordered, new Date("2026-11-23T12:00:00Z"));
    writeReproducibleZip(first, join(out, "a.zip"));
    writeReproducibleZip(second, join(out, "b.zip"));
    expect(readFileSync(join(out, "a.zip")).equals(readFileSync(join(out, "b.zip")))).toBe(true);
  });

  it("changes when a file's content changes", () => {
    const out = scratchDir("zip-out");
    writeReproducibleZip(tree(files, new Date()), join(out, "a.zip"));
    writeReproducibleZip(tree({ ...files, "lib/a.js": "b" }, new Date()), join(out, "b.zip"));
    expect(readFileSync(join(out, "a.zip")).equals(readFileSync(join(out, "b.zip")))).toBe(false);
  });

  it("keeps every file with its content, in sorted order", () => {
    const out = scratchDir("zip-out");
    writeReproducibleZip(tree(files, new Date()), join(out, "a.zip"));
    const unzipped = unzipSync(new Uint8Array(readFileSync(join(out, "a.zip"))));
    expect(Object.keys(unzipped)).toEqual(["index.js", "index.js.map", "lib/a.js"]);
    expect(Buffer.from(unzipped["lib/a.js"]).toString()).toBe("a");
  });
});
