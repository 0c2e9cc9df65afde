import { EncryptCommand } from "@aws-sdk/client-kms";
import type { KMSClient } from "@aws-sdk/client-kms";
import type { Encrypt } from "../jit-seal.js";

/** KMS Encrypt with the kit's key: the scale-up role may call it only with an `instance-arn` context. */
export function kmsEncrypt(client: KMSClient, keyArn: string): Encrypt {
  return async (plaintext, context) => {
    const response = await client.send(new EncryptCommand({ KeyId: keyArn, Plaintext: plaintext, EncryptionContext: { ...context } }));
    if (response.CiphertextBlob === undefined) throw new Error("KMS returned no ciphertext");
    return response.CiphertextBlob;
  };
}
