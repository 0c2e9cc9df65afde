import { IamRolePolicy, type IamRole } from "../aws.js";
import { JIT_ENCRYPTION_CONTEXT_KEY } from "../../contracts/scale-up.js";
import type { EncryptionKey } from "../encryption-key.js";
import { countIf } from "./conditions.js";
import { policyDocument, runnerCredentialsCondition } from "./iam.js";

// The per-instance seal of the JIT configuration (lambdas/scale-up/jit-seal.ts, docs/security.md "Keys
// and data at rest"): scale-up encrypts under `instance-arn = <instance ARN>`, a runner decrypts only its
// own. Direct KMS calls, so these are apart from EncryptionKey.grantUse (use through services only).

const CONTEXT_CONDITION_KEY = `kms:EncryptionContext:${JIT_ENCRYPTION_CONTEXT_KEY}`;

/** Lets scale-up encrypt with the kit's key, only under an instance ARN of this account and region. */
export function grantJitSeal(encryption: EncryptionKey, role: Pick<IamRole, "id">, instanceArnPattern: string): void {
  if (encryption.kmsKeyArn === undefined) return;
  new IamRolePolicy(encryption, "jit-seal", {
    count: countIf(encryption.enabled),
    role: role.id,
    name: "seal-runner-config",
    policy: policyDocument([
      {
        Sid: "SealRunnerConfigForItsInstance",
        Action: ["kms:Encrypt"],
        Resource: encryption.kmsKeyArn,
        Condition: {
          StringLike: { [CONTEXT_CONDITION_KEY]: instanceArnPattern },
          "ForAllValues:StringEquals": { "kms:EncryptionContextKeys": [JIT_ENCRYPTION_CONTEXT_KEY] },
        },
      },
    ]),
  });
}

/**
 * Lets a runner decrypt with the kit's key only what was sealed for its own instance: the context must
 * equal `${ec2:SourceInstanceARN}` (set only for instance-profile credentials), with credentials used
 * from the instance inside `vpcId`.
 */
export function grantJitOpen(encryption: EncryptionKey, role: Pick<IamRole, "id">, vpcId: string): void {
  if (encryption.kmsKeyArn === undefined) return;
  const inVpc = runnerCredentialsCondition(vpcId);
  new IamRolePolicy(encryption, "jit-open", {
    count: countIf(encryption.enabled),
    role: role.id,
    name: "open-own-runner-config",
    policy: policyDocument([
      {
        Sid: "OpenOwnRunnerConfig",
        Action: ["kms:Decrypt"],
        Resource: encryption.kmsKeyArn,
        Condition: {
          ...inVpc,
          StringEquals: { ...inVpc.StringEquals, [CONTEXT_CONDITION_KEY]: "${ec2:SourceInstanceARN}" },
        },
      },
    ]),
  });
}
