import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeHashedFile } from "../../../lambdas/runner-binaries-syncer/adapters/hashed-file.js";

// The one helper both download adapters (runner archives from GitHub, AWS CLI installers) stream through.

function streamOf(chunks: readonly Uint8Array[], failAfter?: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (failAfter !== undefined && sent === failAfter) return controller.error(new Error("connection reset"));
      const chunk = chunks[sent++];
      if (chunk === undefined) controller.close();
      else controller.enqueue(chunk);
    },
  });
}

describe("writeHashedFile", () => {
  it("writes every chunk to the file and answers the SHA-256 and size of the whole body", async () => {
    const chunks = [Buffer.from("actions-runner-"), Buffer.alloc(70_000, 7), Buffer.from("linux-x64.tar.gz")];
    const whole = Buffer.concat(chunks);
    const file = join(mkdtempSync(join(tmpdir(), "hashed-file-")), "archive");

    const download = await writeHashedFile(streamOf(chunks), file);

    expect(download).toEqual({ sha256: createHash("sha256").update(whole).digest("hex"), bytes: whole.length });
    expect(readFileSync(file).equals(whole)).toBe(true);
  });

  it("answers the empty body's hash and zero bytes for an empty download", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "hashed-file-")), "empty");

    const download = await writeHashedFile(streamOf([]), file);

    expect(download).toEqual({ sha256: createHash("sha256").digest("hex"), bytes: 0 });
    expect(existsSync(file)).toBe(true);
  });

  it("fails when the body breaks off mid-download", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "hashed-file-")), "partial");

    await expect(writeHashedFile(streamOf([Buffer.from("part"), Buffer.from("more")], 1), file)).rejects.toThrow("connection reset");
  });
});
