import { POOL_CUSTOMIZATION_PREFIX } from "../contracts/pool-customization.js";
import { Construct } from "constructs";
import { Fn, Token } from "./cdktf.js";
import { IamRolePolicy, S3Bucket, S3BucketLifecycleConfiguration, S3BucketOwnershipControls, S3BucketPolicy, S3BucketPublicAccessBlock, S3BucketServerSideEncryptionConfigurationA, S3BucketVersioningA } from "./aws.js";
import type { IamRole } from "./aws.js";
import type { AwsContext } from "./aws-context.js";
import type { NodejsFunction } from "./nodejs-function.js";
import { policyDocument, runnerCredentialsCondition } from "./private/iam.js";

/** Where the runner archives and their resolved-version document are. */
export interface RunnerBinariesLocation {
  readonly bucketName: string;
  /** Key prefix, ending in `/`; the runner role reads only below it. */
  readonly prefix: string;
}

/** Props of {@link RunnerBinaries}. */
export interface RunnerBinariesProps {
  /** The kit's name prefix: the bucket is `<prefix>-runner-binaries-<account>-<region>`. */
  readonly prefix: string;
  /** Partition, region and account. */
  readonly context: AwsContext;
  /**
   * The kit's KMS key: the bucket's default encryption (SSE-KMS with a bucket key).
   * @default - SSE-S3
   */
  readonly kmsKeyArn?: string;
  /**
   * Whether `kmsKeyArn` is in use (a Terraform expression when the key is chosen by variables).
   * @default - true when kmsKeyArn is set
   */
  readonly kmsKeyInUse?: boolean;
  /**
   * Days a replaced archive (an older version of an object) is kept.
   * @default 30
   */
  readonly noncurrentVersionDays?: number;
  /**
   * Tags for every resource.
   * @default {}
   */
  readonly tags?: Record<string, string>;
}

/** The prefix of the runner archives and their resolved-version document in the bucket. */
export const RUNNER_BINARIES_PREFIX = "runner/";

/**
 * The bucket runners install from (filled by the runner binaries syncer, stacks/functions/
 * runner-binaries-syncer-function.ts): versioned, encrypted (the kit key when set), every public
 * access blocked, owner-enforced, and refusing requests without TLS.
 */
export class RunnerBinaries extends Construct {
  readonly bucket: S3Bucket;
  readonly location: RunnerBinariesLocation;

  constructor(scope: Construct, id: string, props: RunnerBinariesProps) {
    super(scope, id);
    const { context } = props;
    const tags = props.tags ?? {};
    this.bucket = new S3Bucket(this, "bucket", { bucket: `${props.prefix}-runner-binaries-${context.accountId}-${context.region}`, tags });
    const bucket = this.bucket.id;
    this.location = { bucketName: this.bucket.bucket, prefix: RUNNER_BINARIES_PREFIX };

    new S3BucketPublicAccessBlock(this, "public-access-block", { bucket, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
    new S3BucketOwnershipControls(this, "ownership", { bucket, rule: { objectOwnership: "BucketOwnerEnforced" } });
    const versioning = new S3BucketVersioningA(this, "versioning", { bucket, versioningConfiguration: { status: "Enabled" } });
    new S3BucketServerSideEncryptionConfigurationA(this, "encryption", { bucket, rule: [bucketEncryptionRule(props.kmsKeyArn, props.kmsKeyInUse ?? props.kmsKeyArn !== undefined)] });
    new S3BucketLifecycleConfiguration(this, "lifecycle", {
      bucket,
      rule: [
        {
          id: "expire-replaced-archives",
          status: "Enabled",
          filter: [{ prefix: "" }],
          noncurrentVersionExpiration: [{ noncurrentDays: props.noncurrentVersionDays ?? 30 }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }],
        },
      ],
      dependsOn: [versioning],
    });
    new S3BucketPolicy(this, "policy", {
      bucket,
      policy: policyDocument([
        {
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: "*",
          Action: ["s3:*"],
          Resource: [this.bucket.arn, `${this.bucket.arn}/*`],
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
      ]),
    });
  }

  /**
   * s3:GetObject on the runner prefix and the pools' customization documents only
   * (contracts/pool-customization.ts), with instance credentials from the VPC (the runner role).
   */
  grantReadRunner(role: IamRole, vpcId: string): IamRolePolicy {
    return new IamRolePolicy(this, "runner-read", {
      role: role.id,
      name: "runner-binaries",
      policy: policyDocument([
        { Sid: "ReadRunnerBinaries", Action: ["s3:GetObject"], Resource: [`${this.bucket.arn}/${RUNNER_BINARIES_PREFIX}*`, `${this.bucket.arn}/${POOL_CUSTOMIZATION_PREFIX}*`], Condition: runnerCredentialsCondition(vpcId) },
      ]),
    });
  }

  /** Read and write below the runner prefix (the syncer): s3:GetObject, s3:PutObject; s3:ListBucket so a missing key answers 404. */
  grantSync(fn: NodejsFunction): IamRolePolicy {
    return fn.addToRolePolicy("runner-binaries", [
      { Sid: "SyncRunnerBinaries", Action: ["s3:GetObject", "s3:PutObject"], Resource: `${this.bucket.arn}/${RUNNER_BINARIES_PREFIX}*` },
      { Sid: "SeeMissingKeys", Action: ["s3:ListBucket"], Resource: this.bucket.arn, Condition: { StringLike: { "s3:prefix": [`${RUNNER_BINARIES_PREFIX}*`] } } },
    ]);
  }
}

type EncryptionRule = ConstructorParameters<typeof S3BucketServerSideEncryptionConfigurationA>[2]["rule"] extends infer R ? (R extends ReadonlyArray<infer E> ? E : never) : never;

/** SSE-KMS with the kit key (a bucket key keeps KMS calls per object low), else SSE-S3 (the kit's buckets share it). */
export function bucketEncryptionRule(kmsKeyArn: string | undefined, inUse: boolean): EncryptionRule {
  if (kmsKeyArn === undefined || inUse === false) return { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } };
  if (!Token.isUnresolved(inUse)) return { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: kmsKeyArn }, bucketKeyEnabled: true };
  return {
    applyServerSideEncryptionByDefault: { sseAlgorithm: Fn.conditional(inUse, "aws:kms", "AES256") as string, kmsMasterKeyId: kmsKeyArn },
    bucketKeyEnabled: inUse,
  };
}
