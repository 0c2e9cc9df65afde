import { Construct } from "constructs";
import { Fn, Op, Token } from "./cdktf.js";
import {
  Cloudtrail,
  CloudwatchLogGroup,
  IamRole,
  IamRolePolicy,
  KmsKey,
  S3Bucket,
  S3BucketLifecycleConfiguration,
  S3BucketOwnershipControls,
  S3BucketPolicy,
  S3BucketPublicAccessBlock,
  S3BucketServerSideEncryptionConfigurationA,
  S3BucketVersioningA,
} from "./aws.js";
import type { AwsContext } from "./aws-context.js";
import { allOf, countIf, isEmptyString, localCondition } from "./private/conditions.js";
import { RULES, checkProps, isUnresolved } from "./errors.js";
import { pattern } from "./module/input-spec.js";
import { SHARED_INPUTS } from "./module/shared-rules.js";
import { assumeRolePolicy, policyDocument } from "./private/iam.js";

/** Props of {@link AuditTrail}. */
export interface AuditTrailProps {
  /** Trail name; also names the log group and the CloudWatch Logs role. */
  readonly trailName: string;
  /** Partition, region and account: the trail ARN is built from them for the policies' conditions. */
  readonly context: AwsContext;
  /**
   * Create a trail with its own encrypted bucket. Ignored when `existingTrailArn` is set.
   * @default true
   */
  readonly enableCloudTrail?: boolean;
  /**
   * ARN of a trail that already records this account (an organization trail, say): nothing is
   * created and {@link AuditTrail.trailArn} returns it. Empty means none.
   * @default ""
   */
  readonly existingTrailArn?: string;
  /**
   * Record every region, not only the deployment's.
   * @default true
   */
  readonly isMultiRegionTrail?: boolean;
  /**
   * Name of the log bucket.
   * @default - `<trailName>-<account>-<region>`, unique per account and region
   */
  readonly bucketName?: string;
  /**
   * Days after which log files move to S3 Glacier Flexible Retrieval.
   * @default 90
   */
  readonly glacierTransitionDays?: number;
  /**
   * Days after which log files are deleted; must be greater than `glacierTransitionDays`.
   * @default 365
   */
  readonly retentionDays?: number;
  /**
   * Also deliver events to a CloudWatch Logs group, for metric filters and alarms.
   * @default false
   */
  readonly cloudWatchLogs?: boolean;
  /**
   * Retention of the CloudWatch Logs group, in days.
   * @default 30
   */
  readonly logRetentionDays?: number;
  /**
   * Customer managed KMS key for the CloudWatch Logs group (the bucket keeps the trail's own key). A
   * Terraform expression may evaluate to null, which keeps CloudWatch Logs' own encryption.
   * @default - CloudWatch Logs' own encryption
   */
  readonly logGroupKmsKeyArn?: string;
  /**
   * Tags for every resource.
   * @default {}
   */
  readonly tags?: Record<string, string>;
}

/**
 * A CloudTrail trail recording every management event (read and write) with log file validation, into
 * a versioned S3 bucket that only CloudTrail may write to, over TLS only, encrypted with a customer
 * managed KMS key that rotates. Optionally also into CloudWatch Logs. Every resource has a `count`, so
 * both literal props and module variables switch it off, or to an existing trail.
 */
export class AuditTrail extends Construct {
  /** The trail's ARN: the created one, the existing one, or "" when neither. */
  readonly trailArn: string;
  /** The log bucket's name; "" when no trail is created. */
  readonly bucketName: string;
  readonly trail: Cloudtrail;
  readonly bucket: S3Bucket;
  readonly key: KmsKey;

  constructor(scope: Construct, id: string, props: AuditTrailProps) {
    super(scope, id);
    const glacierTransitionDays = props.glacierTransitionDays ?? SHARED_INPUTS.cloudTrailGlacierAfterDays.default;
    const retentionDays = props.retentionDays ?? SHARED_INPUTS.cloudTrailRetentionDays.default;
    checkProps(this.node.path, [
      { prop: "existingTrailArn", value: props.existingTrailArn, rule: SHARED_INPUTS.existingCloudTrailArn.rule },
      { prop: "bucketName", value: props.bucketName, rule: pattern(RULES.s3BucketName) },
      { prop: "glacierTransitionDays", value: props.glacierTransitionDays, rule: SHARED_INPUTS.cloudTrailGlacierAfterDays.rule },
      { prop: "retentionDays", value: props.retentionDays, rule: SHARED_INPUTS.cloudTrailRetentionDays.rule },
      {
        prop: "retentionDays",
        value: isUnresolved(glacierTransitionDays) ? undefined : props.retentionDays,
        rule: {
          allowed: `more days than glacierTransitionDays (${glacierTransitionDays}); S3 refuses to expire objects before they transition`,
          check: (v: number) => v > glacierTransitionDays,
        },
      },
      { prop: "logRetentionDays", value: props.logRetentionDays, rule: SHARED_INPUTS.logRetentionDays.rule },
    ]);
    const { context } = props;
    const tags = props.tags ?? {};
    const existingTrailArn = props.existingTrailArn ?? SHARED_INPUTS.existingCloudTrailArn.default;
    const createTrail = localCondition(this, "enabled", allOf([props.enableCloudTrail ?? true, isEmptyString(existingTrailArn)]));
    const count = countIf(createTrail);
    const cloudWatchCount = countIf(localCondition(this, "cloudwatch-enabled", allOf([createTrail, props.cloudWatchLogs ?? false])));
    const first = (resource: { fqn: string }, attribute: string): string => Fn.lookupNested(resource.fqn, ["0", attribute]);
    // Built from its parts rather than read from the trail: the bucket and key policies must name it before it exists.
    const trailArnForPolicies = context.arn("cloudtrail", `trail/${props.trailName}`);

    this.key = new KmsKey(this, "key", {
      count,
      description: `Encrypts the CloudTrail logs of ${props.trailName}`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: policyDocument([
        {
          Sid: "AccountAdministersKey",
          Principal: { AWS: `arn:${context.partition}:iam::${context.accountId}:root` },
          Action: ["kms:*"],
          Resource: "*",
        },
        {
          Sid: "CloudTrailEncryptsLogs",
          Principal: { Service: "cloudtrail.amazonaws.com" },
          Action: ["kms:GenerateDataKey*"],
          Resource: "*",
          Condition: {
            StringEquals: { "aws:SourceArn": trailArnForPolicies },
            StringLike: { "kms:EncryptionContext:aws:cloudtrail:arn": `arn:${context.partition}:cloudtrail:*:${context.accountId}:trail/*` },
          },
        },
        {
          Sid: "CloudTrailDescribesKey",
          Principal: { Service: "cloudtrail.amazonaws.com" },
          Action: ["kms:DescribeKey"],
          Resource: "*",
        },
      ]),
      tags,
    });

    this.bucket = new S3Bucket(this, "bucket", {
      count,
      bucket: props.bucketName ?? `${props.trailName}-${context.accountId}-${context.region}`,
      tags,
    });
    const bucketId = first(this.bucket, "id");
    const bucketArn = first(this.bucket, "arn");
    new S3BucketPublicAccessBlock(this, "public-access-block", {
      count,
      bucket: bucketId,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, "ownership", { count, bucket: bucketId, rule: { objectOwnership: "BucketOwnerEnforced" } });
    const versioning = new S3BucketVersioningA(this, "versioning", { count, bucket: bucketId, versioningConfiguration: { status: "Enabled" } });
    new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
      count,
      bucket: bucketId,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: first(this.key, "arn") }, bucketKeyEnabled: true }],
    });
    new S3BucketLifecycleConfiguration(this, "lifecycle", {
      count,
      bucket: bucketId,
      rule: [
        {
          id: "archive-then-expire",
          status: "Enabled",
          filter: [{ prefix: "" }],
          transition: [{ days: glacierTransitionDays, storageClass: "GLACIER" }],
          expiration: [{ days: retentionDays }],
          noncurrentVersionExpiration: [{ noncurrentDays: 30 }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
      ],
      dependsOn: [versioning],
      // The module's variables cannot check each other (Terraform < 1.9), so the pair is checked here.
      lifecycle: isUnresolved(retentionDays) || isUnresolved(glacierTransitionDays)
        ? { precondition: [{ condition: Op.gt(retentionDays, glacierTransitionDays), errorMessage: "cloudtrail_retention_days must be more than cloudtrail_glacier_after_days: S3 refuses to expire objects before they transition." }] }
        : undefined,
    });
    const bucketPolicy = new S3BucketPolicy(this, "bucket-policy", {
      count,
      bucket: bucketId,
      policy: policyDocument([
        {
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: "*",
          Action: ["s3:*"],
          Resource: [bucketArn, `${bucketArn}/*`],
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
        {
          Sid: "CloudTrailChecksAcl",
          Principal: { Service: "cloudtrail.amazonaws.com" },
          Action: ["s3:GetBucketAcl"],
          Resource: bucketArn,
          Condition: { StringEquals: { "aws:SourceArn": trailArnForPolicies } },
        },
        {
          Sid: "CloudTrailWritesLogs",
          Principal: { Service: "cloudtrail.amazonaws.com" },
          Action: ["s3:PutObject"],
          Resource: `${bucketArn}/AWSLogs/${context.accountId}/*`,
          Condition: { StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trailArnForPolicies } },
        },
      ]),
    });

    const logGroup = new CloudwatchLogGroup(this, "logs", {
      count: cloudWatchCount,
      name: `/aws/cloudtrail/${props.trailName}`,
      retentionInDays: props.logRetentionDays ?? SHARED_INPUTS.logRetentionDays.default,
      kmsKeyId: props.logGroupKmsKeyArn,
      tags,
    });
    const cloudWatchRole = new IamRole(this, "cloudwatch-role", {
      count: cloudWatchCount,
      name: `${props.trailName}-cloudwatch`,
      assumeRolePolicy: assumeRolePolicy("cloudtrail.amazonaws.com"),
      tags,
    });
    const cloudWatchPolicy = new IamRolePolicy(this, "cloudwatch-delivery", {
      count: cloudWatchCount,
      role: first(cloudWatchRole, "id"),
      name: "cloudtrail-delivery",
      policy: policyDocument([
        {
          Sid: "DeliverTrailEvents",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: `${first(logGroup, "arn")}:log-stream:*`,
        },
      ]),
    });
    // "" when the group has count 0: the provider treats an empty ARN as no delivery (and clears it on update).
    const delivering = (value: string): string | undefined => {
      if (cloudWatchCount === 0) return undefined;
      return cloudWatchCount === 1 ? value : Fn.try([value, ""]);
    };

    this.trail = new Cloudtrail(this, "trail", {
      count,
      name: props.trailName,
      s3BucketName: bucketId,
      kmsKeyId: first(this.key, "arn"),
      isMultiRegionTrail: props.isMultiRegionTrail ?? true,
      includeGlobalServiceEvents: true,
      enableLogFileValidation: true,
      eventSelector: [{ readWriteType: "All", includeManagementEvents: true }],
      // CloudTrail wants the log group ARN with ":*".
      cloudWatchLogsGroupArn: delivering(Fn.format("%s:*", [first(logGroup, "arn")])),
      cloudWatchLogsRoleArn: delivering(first(cloudWatchRole, "arn")),
      tags,
      // CloudTrail checks at creation that it may write to the bucket (and to the log group).
      dependsOn: [bucketPolicy, cloudWatchPolicy],
    });

    const created = (resource: { fqn: string }, attribute: string): string => (count === 0 ? "" : Fn.try([first(resource, attribute), ""]));
    this.bucketName = created(this.bucket, "bucket");
    if (!Token.isUnresolved(existingTrailArn)) {
      this.trailArn = existingTrailArn !== "" ? existingTrailArn : created(this.trail, "arn");
    } else {
      this.trailArn = Fn.conditional(isEmptyString(existingTrailArn), created(this.trail, "arn"), existingTrailArn) as string;
    }
  }
}
