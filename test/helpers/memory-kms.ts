import type { Encrypt } from "../../lambdas/scale-up/jit-seal.js";
import type { AwsOperation } from "./loopback-aws.js";
import { AwsFault } from "./loopback-aws.js";

/**
 * KMS Encrypt/Decrypt in memory for one key: a ciphertext is an opaque handle ("sealed#<n>", so runs
 * stay deterministic) to the plaintext and the encryption context it was sealed under, and decrypting
 * with another context fails as KMS does (InvalidCiphertextException). Tests and the fault world use it
 * in place of the kit's key.
 */
export class MemoryKms {
  private readonly sealed = new Map<string, { plaintext: Buffer; context: string }>();

  constructor(readonly keyArn = "arn:aws:kms:eu-west-1:123456789012:key/0b7e4a52-1c3d-4f5e-9a8b-7c6d5e4f3a2b") {}

  /** The port scale-up's sealer takes. */
  readonly encrypt: Encrypt = async (plaintext, context) => this.seal(Buffer.from(plaintext), context);

  /** The plaintext, when `context` is the one it was sealed under. */
  decrypt(ciphertext: Uint8Array, context: Readonly<Record<string, string>>): Buffer {
    const entry = this.sealed.get(Buffer.from(ciphertext).toString("utf8"));
    if (entry === undefined || entry.context !== canonical(context)) throw new AwsFault("InvalidCiphertextException", 400);
    return entry.plaintext;
  }

  /** TrentService.Encrypt for a LoopbackAws (blobs travel as base64 in the JSON protocol). */
  readonly encryptOperation: AwsOperation = (input) => {
    if (input.KeyId !== this.keyArn) throw new AwsFault("NotFoundException", 400, `key ${String(input.KeyId)} not found`);
    const context = (input.EncryptionContext ?? {}) as Record<string, string>;
    const blob = this.seal(Buffer.from(String(input.Plaintext), "base64"), context);
    return { CiphertextBlob: Buffer.from(blob).toString("base64"), KeyId: this.keyArn, EncryptionAlgorithm: "SYMMETRIC_DEFAULT" };
  };

  private seal(plaintext: Buffer, context: Readonly<Record<string, string>>): Uint8Array {
    const handle = `sealed#${this.sealed.size + 1}`;
    this.sealed.set(handle, { plaintext, context: canonical(context) });
    return Buffer.from(handle, "utf8");
  }
}

function canonical(context: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.entries(context).sort(([a], [b]) => a.localeCompare(b)));
}
