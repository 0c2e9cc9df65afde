import { JIT_ENCRYPTION_CONTEXT_KEY } from "../../contracts/scale-up.js";

/**
 * Seals a runner's just-in-time configuration for its own instance before it goes into the runners
 * table (docs/security.md, "Keys and data at rest"): KMS encrypts it under the encryption context
 * `instance-arn = <instance ARN>`, and the runner role may decrypt only when that context equals
 * `${ec2:SourceInstanceARN}`, so a reader of the table (or of a backup) learns nothing usable and no
 * other instance can open it. The bootstrap (stacks/templates/runner-bootstrap.sh.tftpl) recognises the
 * `kms:` prefix and calls `aws kms decrypt` with the same context.
 */

/** The encryption context key; the runner role's condition is `kms:EncryptionContext:instance-arn`. */
export const JIT_CONTEXT_KEY = JIT_ENCRYPTION_CONTEXT_KEY;
/** Marks a sealed value; an unsealed configuration is plain base64 and never contains a colon. */
export const SEALED_PREFIX = "kms:";
/** KMS Encrypt takes at most this many bytes of plaintext. */
export const KMS_PLAINTEXT_LIMIT_BYTES = 4096;

/** The value stored as `jitConfig` for the instance `instanceArn`. */
export type SealJitConfig = (encodedJitConfig: string, instanceArn: string) => Promise<string>;

/** Encrypts `plaintext` under `context` with the kit's key (KMS Encrypt, or an in-memory double). */
export type Encrypt = (plaintext: Uint8Array, context: Readonly<Record<string, string>>) => Promise<Uint8Array>;

/** The encryption context of an instance's configuration. */
export function jitEncryptionContext(instanceArn: string): Record<string, string> {
  return { [JIT_CONTEXT_KEY]: instanceArn };
}

/**
 * Seals with `encrypt`; without one (no kit key: `create_kms_key = false` and no `kms_key_arn`) the
 * configuration is stored as GitHub returned it, as docs/security.md warns.
 *
 * GitHub's `encoded_jit_config` is base64 (about 4.4 KB): its decoded bytes (about 3.3 KB) are what is
 * encrypted, which keeps it under KMS's 4 KB plaintext limit, and `aws kms decrypt --output text`
 * prints the plaintext as base64 again, the very string `run.sh --jitconfig` takes.
 */
export function jitSealer(encrypt: Encrypt | undefined): SealJitConfig {
  if (encrypt === undefined) return async (encodedJitConfig) => encodedJitConfig;
  return async (encodedJitConfig, instanceArn) => {
    const raw = Buffer.from(encodedJitConfig, "base64");
    // The runner prints the decrypted bytes as canonical base64: anything else would not round-trip.
    if (raw.toString("base64") !== encodedJitConfig) throw new Error("the JIT configuration is not canonical base64; it cannot be sealed");
    if (raw.length > KMS_PLAINTEXT_LIMIT_BYTES) throw new Error(`the JIT configuration has ${raw.length} bytes; KMS encrypts at most ${KMS_PLAINTEXT_LIMIT_BYTES}`);
    const sealed = await encrypt(raw, jitEncryptionContext(instanceArn));
    return `${SEALED_PREFIX}${Buffer.from(sealed).toString("base64")}`;
  };
}
