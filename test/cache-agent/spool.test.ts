import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { spool, spoolFiles } from "../../cache-agent/transfer/spool.js";

const dir = mkdtempSync(join(tmpdir(), "spool-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

describe("spools", () => {
  it("hashes a stream while writing it, and reads back any range", async () => {
    const body = Buffer.from("0123456789abcdef");
    const file = await spool(Readable.from([body.subarray(0, 5), body.subarray(5)]), dir);
    expect(file.size).toBe(16);
    expect(file.digest).toBe(createHash("sha256").update(body).digest("hex"));
    expect((await bytesOf(file.read(4, 9))).toString()).toBe("456789");
    await file.remove();
  });

  it("joins files in order without copying them: digest of the whole, ranges across file boundaries, all removed", async () => {
    const parts = ["hello", " wide ", "world", "!"].map((text, i) => {
      const path = join(dir, `block-${i}`);
      writeFileSync(path, text);
      return path;
    });
    const whole = Buffer.from("hello wide world!");
    const file = await spoolFiles([parts[0]!, parts[1]!, parts[2]!, parts[3]!]);
    expect(file.size).toBe(whole.length);
    expect(file.digest).toBe(createHash("sha256").update(whole).digest("hex"));
    expect((await bytesOf(file.read(3, 12))).toString()).toBe(whole.subarray(3, 13).toString());
    expect((await bytesOf(file.read(0, whole.length - 1))).equals(whole)).toBe(true);
    expect((await bytesOf(file.read(7, 9))).toString()).toBe("ide");
    await file.remove();
    expect(parts.some((path) => existsSync(path))).toBe(false);
  });
});
