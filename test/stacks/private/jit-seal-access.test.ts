import { beforeAll, describe, expect, it } from "vitest";
import type { SelfRunnersProps } from "../../../stacks/self-runners.js";
import { fakeDistDir, resourceOf, resourcesOf, type SynthesizedStack, synthSelfRunners } from "../../helpers/synth.js";

// The per-instance seal of the JIT configuration (stacks/private/jit-seal-access.ts): who may encrypt
// and decrypt directly with the kit's key, and under which encryption context.

let distDir: string;

beforeAll(() => {
  distDir = fakeDistDir();
});

const synthRunners = (overrides: Partial<SelfRunnersProps> = {}): SynthesizedStack => synthSelfRunners(distDir, overrides);

/** The policy text of a role policy, and the role it is attached to. */
function rolePolicy(synth: SynthesizedStack, idPart: string): { policy: string; role: string; count: unknown } {
  const resource = resourceOf(synth, "aws_iam_role_policy", idPart);
  return { policy: String(resource.policy), role: String(resource.role), count: resource.count };
}

describe("the sealed JIT configuration (docs/security.md, Keys and data at rest)", () => {
  it("lets the runner role decrypt only under the encryption context of its own instance ARN, from its VPC", () => {
    const open = rolePolicy(synthRunners(), "encryption_jit-open");
    expect(open.role).toMatch(/aws_iam_role\.[^.]*runner[^.]*\.id/);
    expect(open.policy).toContain('"Action" = ["kms:Decrypt"]');
    expect(open.policy).toContain('"kms:EncryptionContext:instance-arn" = "$${ec2:SourceInstanceARN}"');
    expect(open.policy).toContain('"aws:ec2InstanceSourceVPC" = "vpc-0123456789abcdef0"');
    expect(open.policy).not.toContain("kms:ViaService");
  });

  it("lets scale-up encrypt only with an instance-arn context naming an instance of this account and region", () => {
    const seal = rolePolicy(synthRunners(), "encryption_jit-seal");
    expect(seal.role).toMatch(/scale[-_]up/);
    expect(seal.policy).toContain('"Action" = ["kms:Encrypt"]');
    expect(seal.policy).toMatch(/"kms:EncryptionContext:instance-arn" = "arn:\$\{[^}]+\}:ec2:\$\{[^}]+\}:\$\{[^}]+\}:instance\/\*"/);
    expect(seal.policy).toContain('"ForAllValues:StringEquals" = {"kms:EncryptionContextKeys" = ["instance-arn"]}');
  });

  it("passes the key to scale-up, and neither grant nor key exists without a kit key (the configuration is then stored unsealed)", () => {
    const withKey = synthRunners();
    const scaleUp = resourceOf(withKey, "aws_lambda_function", "scale-up");
    expect((scaleUp.environment as { variables: Record<string, string> }).variables.JIT_KMS_KEY_ARN).toMatch(/^\$\{aws_kms_key\.[^.]*encryption_key[^.]*\["0"\]\.arn\}$/);
    const withoutKey = synthRunners({ createKmsKey: false });
    expect(Object.keys(resourcesOf(withoutKey, "aws_iam_role_policy")).filter((id) => id.includes("jit"))).toEqual([]);
    expect((resourceOf(withoutKey, "aws_lambda_function", "scale-up").environment as { variables: Record<string, string> }).variables.JIT_KMS_KEY_ARN).toBe("");
  });
});
