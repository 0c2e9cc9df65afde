import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseSha256sums, sha256, sha256sums } from "../../scripts/release/checksums.js";
import { scratchDir } from "../helpers/paths.js";

describe("SHA256SUMS", () => {
  it("writes sha256sum's format, sorted by name, and reads it back", () => {
    const files = [
      { name: "webhook.zip", sha256: sha256("w") },
      { name: "shared.zip", sha256: sha256("s") },
    ];
    const text = sha256sums(files);
    expect(text).toBe(`${sha256("s")}  shared.zip\n${sha256("w")}  webhook.zip\n`);
    expect(parseSha256sums(text)).toEqual([files[1], files[0]]);
  });

  it("is checked by GNU sha256sum -c, which fails when a file changed", () => {
    const dir = scratchDir("sha256sums");
    writeFileSync(join(dir, "a.zip"), "a");
    writeFileSync(join(dir, "b.cdx.json"), "{}");
    writeFileSync(join(dir, "SHA256SUMS"), sha256sums([{ name: "a.zip", sha256: sha256("a") }, { name: "b.cdx.json", sha256: sha256("{}") }]));
    const ok = spawnSync("sha256sum", ["-c", "SHA256SUMS"], { cwd: dir, encoding: "utf8" });
    expect(ok.stdout).toBe("a.zip: OK\nb.cdx.json: OK\n");
    expect(ok.status).toBe(0);
    writeFileSync(join(dir, "a.zip"), "tampered");
    expect(spawnSync("sha256sum", ["-c", "SHA256SUMS"], { cwd: dir, encoding: "utf8" }).status).not.toBe(0);
  });

  it("fails when a line is not a sha256sum line", () => {
    expect(() => parseSha256sums("abc  file\n")).toThrow(/not a sha256sum line/);
  });
});
