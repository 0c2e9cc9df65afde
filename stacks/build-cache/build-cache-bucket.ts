import { Construct } from "constructs";
import { BUILD_CACHE_OBJECT_PREFIXES } from "../../contracts/build-cache.js";
import { Fn } from "../cdktf.js";
import {
  S3Bucket,
  S3BucketLifecycleConfiguration,
  S3BucketOwnershipControls,
  S3BucketPolicy,
  S3BucketPublicAccessBlock,
  S3BucketServerSideEncryptionConfigurationA,
  S3BucketVersioningA,
} from "../aws.js";
import type { AwsContext } from "../aws-context.js";
import { bucketEncryptionRule } from "../runner-binaries.js";
import { policyDocument } from "../private/iam.js";

/** Days an unverified upload may stay under staging/: longer than any reservation (a presigned URL lives 15 minutes to an hour). */
const STAGING_DAYS = 1;

/** Props of {@link BuildCacheBucket}. */
export interface BuildCacheBucketProps {
  /** The kit's name prefix: the bucket is `<prefix>-build-cache-<account>-<region>`. */
  readonly prefix: string;
  /** Partition, region and account. */
  readonly context: AwsContext;
  /** `count` of every resource: 1 with the build cache on (a Terraform expression in the module). */
  readonly count: number;
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
   * Tags for every resource.
   * @default {}
   */
  readonly tags?: Record<string, string>;
}

/**
 * The cache's blobs (docs/build-cache.md): encrypted (the kit key when set), every public access
 * blocked, owner-enforced, TLS only, versioned with deleted versions kept one day (a sweep's mistake can
 * be undone that long), incomplete multipart uploads aborted and unverified staging objects expired after
 * a day. No role of a runner may touch it: runners get presigned URLs from the cache function.
 */
export class BuildCacheBucket extends Construct {
  readonly bucket: S3Bucket;
  /** The bucket's name and ARN (through index 0: every resource is counted). */
  readonly bucketName: string;
  readonly bucketArn: string;

  constructor(scope: Construct, id: string, props: BuildCacheBucketProps) {
    super(scope, id);
    const { context, count } = props;
    const tags = props.tags ?? {};
    this.bucket = new S3Bucket(this, "bucket", { count, bucket: `${props.prefix}-build-cache-${context.accountId}-${context.region}`, tags });
    this.bucketName = Fn.lookupNested(this.bucket.fqn, ["0", "bucket"]);
    this.bucketArn = Fn.lookupNested(this.bucket.fqn, ["0", "arn"]);
    const bucket = Fn.lookupNested(this.bucket.fqn, ["0", "id"]);

    new S3BucketPublicAccessBlock(this, "public-access-block", { count, bucket, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
    new S3BucketOwnershipControls(this, "ownership", { count, bucket, rule: { objectOwnership: "BucketOwnerEnforced" } });
    const versioning = new S3BucketVersioningA(this, "versioning", { count, bucket, versioningConfiguration: { status: "Enabled" } });
    new S3BucketServerSideEncryptionConfigurationA(this, "encryption", { count, bucket, rule: [bucketEncryptionRule(props.kmsKeyArn, props.kmsKeyInUse ?? props.kmsKeyArn !== undefined)] });
    new S3BucketLifecycleConfiguration(this, "lifecycle", {
      count,
      bucket,
      rule: [
        {
          id: "abort-incomplete-uploads",
          status: "Enabled",
          filter: [{ prefix: "" }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }],
          // Blobs the sweep deleted stay restorable for a day, then go.
          noncurrentVersionExpiration: [{ noncurrentDays: 1 }],
          expiration: [{ expiredObjectDeleteMarker: true }],
        },
        {
          id: "expire-staging",
          status: "Enabled",
          filter: [{ prefix: BUILD_CACHE_OBJECT_PREFIXES.staging }],
          expiration: [{ days: STAGING_DAYS }],
        },
      ],
      dependsOn: [versioning],
    });
    new S3BucketPolicy(this, "policy", {
      count,
      bucket,
      policy: policyDocument([
        {
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: "*",
          Action: ["s3:*"],
          Resource: [this.bucketArn, `${this.bucketArn}/*`],
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
      ]),
    });
  }
}
