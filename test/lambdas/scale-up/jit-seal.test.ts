import { EncryptCommand, KMSClient } from "@aws-sdk/client-kms";
import { mockClient } from "aws-sdk-client-mock";
import { describe, expect, it } from "vitest";
import { kmsEncrypt } from "../../../lambdas/scale-up/adapters/kms.js";
import { JIT_CONTEXT_KEY, KMS_PLAINTEXT_LIMIT_BYTES, SEALED_PREFIX, jitSealer } from "../../../lambdas/scale-up/jit-seal.js";
import { MemoryKms } from "../../helpers/memory-kms.js";

const INSTANCE_ARN = "arn:aws:ec2:eu-west-1:123456789012:instance/i-0123456789abcdef0";
const JIT = Buffer.from(JSON.stringify({ ".runner": "r", ".credentials": "c", ".credentials_rsaparams": "k" })).toString("base64");

describe("jitSealer", () => {
  it("stores the configuration as GitHub returned it when there is no kit key", async () => {
    // Act
    const stored = await jitSealer(undefined)(JIT, INSTANCE_ARN);

    // Assert
    expect(stored).toBe(JIT);
  });

  it("encrypts the decoded configuration under the instance ARN context and prefixes the ciphertext", async () => {
    // Arrange
    const kms = new MemoryKms();

    // Act
    const stored = await jitSealer(kms.encrypt)(JIT, INSTANCE_ARN);

    // Assert
    expect(stored.startsWith(SEALED_PREFIX)).toBe(true);
    const ciphertext = Buffer.from(stored.slice(SEALED_PREFIX.length), "base64");
    // What `aws kms decrypt --query Plaintext --output text` prints is the configuration run.sh takes.
    expect(kms.decrypt(ciphertext, { [JIT_CONTEXT_KEY]: INSTANCE_ARN }).toString("base64")).toBe(JIT);
    expect(() => kms.decrypt(ciphertext, { [JIT_CONTEXT_KEY]: `${INSTANCE_ARN}1` })).toThrow("InvalidCiphertextException");
  });

  it("refuses a configuration that is not canonical base64 or is over KMS's plaintext limit, rather than storing it unsealed", async () => {
    // Arrange
    const seal = jitSealer(new MemoryKms().encrypt);
    const tooLarge = Buffer.alloc(KMS_PLAINTEXT_LIMIT_BYTES + 1, 7).toString("base64");

    // Act / Assert
    await expect(seal("not base64!", INSTANCE_ARN)).rejects.toThrow("not canonical base64");
    await expect(seal(tooLarge, INSTANCE_ARN)).rejects.toThrow(`${KMS_PLAINTEXT_LIMIT_BYTES + 1} bytes`);
  });
});

describe("kmsEncrypt", () => {
  it("calls KMS Encrypt with the kit's key and the encryption context", async () => {
    // Arrange
    const kms = mockClient(KMSClient);
    kms.on(EncryptCommand).resolves({ CiphertextBlob: Uint8Array.from([1, 2, 3]) });
    const keyArn = "arn:aws:kms:eu-west-1:123456789012:key/k";

    // Act
    const stored = await jitSealer(kmsEncrypt(new KMSClient({ region: "eu-west-1" }), keyArn))(JIT, INSTANCE_ARN);

    // Assert
    expect(stored).toBe(`${SEALED_PREFIX}AQID`);
    const input = kms.commandCalls(EncryptCommand)[0]?.args[0].input;
    expect(input?.KeyId).toBe(keyArn);
    expect(input?.EncryptionContext).toEqual({ [JIT_CONTEXT_KEY]: INSTANCE_ARN });
    expect(Buffer.from(input?.Plaintext ?? []).toString("base64")).toBe(JIT);
    kms.restore();
  });
});
