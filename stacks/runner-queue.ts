import { Construct } from "constructs";
import { Fn, Op, TerraformIterator, Token } from "./cdktf.js";
import { SqsQueue, SqsQueuePolicy } from "./aws.js";
import type { AwsContext } from "./aws-context.js";
import { policyDocument } from "./private/iam.js";
import { checkProps } from "./errors.js";
import { integerBetween } from "./module/rules.js";
import type { NodejsFunction } from "./nodejs-function.js";
import type { PoolMap } from "./pools.js";
import { mergeTags } from "./private/tags.js";

/** A principal tag that lets operators move jobs by hand (`self-runners dlq replay`); the value is the prefix. */
export const QUEUE_OPERATOR_TAG = "self-runners:operator";

/** Props of {@link RunnerQueues}. */
export interface RunnerQueuesProps {
  /** Name prefix: queues are `<prefix>-<pool>.fifo` and `<prefix>-<pool>-dlq.fifo`. */
  readonly prefix: string;
  /** The runner pools; one queue and one dead-letter queue each. */
  readonly pools: PoolMap;
  /**
   * Visibility timeout in seconds; AWS advises six times the consumer's timeout.
   * @default 180
   */
  readonly visibilityTimeoutSeconds?: number;
  /**
   * Receives before a message moves to the dead-letter queue.
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /**
   * How long a job message is kept, in seconds. GitHub cancels jobs queued for 24 hours.
   * @default 86400
   */
  readonly messageRetentionSeconds?: number;
  /**
   * Customer managed KMS key for both queues of every pool. A Terraform expression may evaluate to
   * null, which keeps SQS-managed encryption (SSE-SQS).
   * @default - SSE-SQS (SQS-owned keys)
   */
  readonly kmsKeyArn?: string;
  /**
   * How long SQS reuses a data key before calling KMS again, with `kmsKeyArn`. Longer means fewer KMS
   * requests (and charges) during bursts; AWS's default is 300.
   * @default 3600
   */
  readonly kmsDataKeyReusePeriodSeconds?: number;
  /**
   * Tags for the queues.
   * @default {}
   */
  readonly tags?: Record<string, string>;
}

/**
 * One SQS FIFO queue per pool, each with its dead-letter queue and server-side encryption (SSE-SQS, or
 * SSE-KMS with `kmsKeyArn`). FIFO gives
 * a five-minute deduplication window on `<jobId>-<runAttempt>`; high-throughput mode (deduplication and
 * throughput per message group) keeps bursts fast, since each job is its own group.
 */
export class RunnerQueues extends Construct {
  readonly queues: SqsQueue;
  readonly deadLetterQueues: SqsQueue;

  constructor(scope: Construct, id: string, props: RunnerQueuesProps) {
    super(scope, id);
    checkProps(this.node.path, [
      { prop: "visibilityTimeoutSeconds", value: props.visibilityTimeoutSeconds, rule: integerBetween(0, 43200) },
      { prop: "maxReceiveCount", value: props.maxReceiveCount, rule: integerBetween(1, 1000) },
      { prop: "messageRetentionSeconds", value: props.messageRetentionSeconds, rule: integerBetween(60, 1209600) },
      { prop: "kmsDataKeyReusePeriodSeconds", value: props.kmsDataKeyReusePeriodSeconds, rule: integerBetween(60, 86400) },
    ]);
    const pools = TerraformIterator.fromMap(props.pools);
    const common = {
      forEach: pools,
      fifoQueue: true,
      ...queueEncryption(props.kmsKeyArn, props.kmsDataKeyReusePeriodSeconds ?? 3600),
      deduplicationScope: "messageGroup",
      fifoThroughputLimit: "perMessageGroupId",
      tags: mergeTags(props.tags, { "self-runners:pool": pools.key }),
    };
    this.deadLetterQueues = new SqsQueue(this, "dlq", {
      ...common,
      name: `${props.prefix}-${pools.key}-dlq.fifo`,
      messageRetentionSeconds: 1209600,
    });
    this.queues = new SqsQueue(this, "queue", {
      ...common,
      name: `${props.prefix}-${pools.key}.fifo`,
      visibilityTimeoutSeconds: props.visibilityTimeoutSeconds ?? 180,
      messageRetentionSeconds: props.messageRetentionSeconds ?? 86400,
      redrivePolicy: Fn.jsonencode({
        deadLetterTargetArn: Fn.lookupNested(this.deadLetterQueues.fqn, [pools.key, "arn"]),
        maxReceiveCount: props.maxReceiveCount ?? 5,
      }),
    });
  }

  /** Map pool -> queue URL. */
  get queueUrls(): string {
    return TerraformIterator.fromResources(this.queues).forExpressionForMap("key", "val.url") as unknown as string;
  }

  /** Map pool -> queue ARN. */
  get queueArns(): string {
    return TerraformIterator.fromResources(this.queues).forExpressionForMap("key", "val.arn") as unknown as string;
  }

  /** Map pool -> dead-letter queue ARN. */
  get deadLetterQueueArns(): string {
    return TerraformIterator.fromResources(this.deadLetterQueues).forExpressionForMap("key", "val.arn") as unknown as string;
  }

  /** Map pool -> dead-letter queue URL. */
  get deadLetterQueueUrls(): string {
    return TerraformIterator.fromResources(this.deadLetterQueues).forExpressionForMap("key", "val.url") as unknown as string;
  }

  /**
   * Queue policies on every queue and dead-letter queue: sending, receiving and deleting messages is
   * denied to every principal but `roleArns` (the kit's functions) and principals tagged
   * `self-runners:operator = <prefix>` (operators running `self-runners dlq replay`; tagging a principal
   * needs IAM rights), so a principal with sqs:* on "*" neither injects jobs past the webhook's HMAC nor
   * hides them (issue 18, finding 10). The account keeps administering the queues through IAM.
   */
  restrictTo(roleArns: string[], context: AwsContext, prefix: string): void {
    const policy = (queues: SqsQueue, id: string): SqsQueuePolicy => {
      const each = TerraformIterator.fromResources(queues);
      return new SqsQueuePolicy(this, id, {
        forEach: each,
        queueUrl: each.getString("url"),
        policy: policyDocument([
          {
            Sid: "AccountAdministers",
            Principal: { AWS: `arn:${context.partition}:iam::${context.accountId}:root` },
            Action: ["sqs:*"],
            Resource: each.getString("arn"),
          },
          {
            Sid: "OnlyTheKitMovesJobs",
            Effect: "Deny",
            Principal: "*",
            Action: ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"],
            Resource: each.getString("arn"),
            Condition: {
              ArnNotEquals: { "aws:PrincipalArn": roleArns },
              StringNotEquals: { [`aws:PrincipalTag/${QUEUE_OPERATOR_TAG}`]: prefix },
            },
          },
        ]),
      });
    };
    policy(this.queues, "queue-policy");
    policy(this.deadLetterQueues, "dlq-policy");
  }

  /** Lets `fn` move messages to every pool's dead-letter queue with a reason: sqs:SendMessage. */
  grantSendToDeadLetter(fn: NodejsFunction): void {
    fn.addToRolePolicy("dead-letter-jobs", [{ Sid: "DeadLetterJobs", Action: ["sqs:SendMessage"], Resource: Fn.values(this.deadLetterQueueArns as never) }]);
  }

  /** Lets `fn` send to every pool queue: sqs:SendMessage. */
  grantSend(fn: NodejsFunction): void {
    fn.addToRolePolicy("send-jobs", [{ Sid: "SendJobs", Action: ["sqs:SendMessage"], Resource: Fn.values(this.queueArns as never) }]);
  }

  /**
   * Lets `fn` consume every pool queue: sqs:ReceiveMessage, sqs:DeleteMessage,
   * sqs:ChangeMessageVisibility, sqs:GetQueueAttributes.
   */
  grantConsume(fn: NodejsFunction): void {
    fn.addToRolePolicy("consume-jobs", [
      {
        Sid: "ConsumeJobs",
        Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"],
        Resource: Fn.values(this.queueArns as never),
      },
    ]);
  }
}

/**
 * SSE-SQS without a key, SSE-KMS with one. The provider refuses `sqs_managed_sse_enabled` next to
 * `kms_master_key_id`, so whichever is not in use is null (a Terraform expression when the key is one).
 */
function queueEncryption(
  kmsKeyArn: string | undefined,
  reusePeriodSeconds: number,
): { sqsManagedSseEnabled?: boolean; kmsMasterKeyId?: string; kmsDataKeyReusePeriodSeconds?: number } {
  if (kmsKeyArn === undefined) return { sqsManagedSseEnabled: true };
  if (!Token.isUnresolved(kmsKeyArn)) return { kmsMasterKeyId: kmsKeyArn, kmsDataKeyReusePeriodSeconds: reusePeriodSeconds };
  const noKey = Op.eq(kmsKeyArn, Token.nullValue());
  return {
    sqsManagedSseEnabled: Fn.conditional(noKey, true, Token.nullValue()) as unknown as boolean,
    kmsMasterKeyId: kmsKeyArn,
    kmsDataKeyReusePeriodSeconds: Token.asNumber(Fn.conditional(noKey, Token.nullValue(), reusePeriodSeconds)),
  };
}
