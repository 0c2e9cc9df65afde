import { Construct } from "constructs";
import { Fn } from "../cdktf.js";
import { SnsTopic, SnsTopicPolicy } from "../aws.js";
import type { AwsContext } from "../aws-context.js";
import { checkProps } from "../errors.js";
import { countIf, isEmptyString, localCondition } from "../private/conditions.js";
import { policyDocument } from "../private/iam.js";
import { OPERATIONS_INPUTS } from "../module/inputs-operations.js";

/** Props of {@link AlarmTopic}. */
export interface AlarmTopicProps {
  /** Deployment prefix: the topic is `<prefix>-alarms`, and only alarms and budgets named `<prefix>-*` may publish. */
  readonly prefix: string;
  /** Partition, region and account, for the topic policy's source conditions. */
  readonly context: AwsContext;
  /**
   * ARN of an existing topic to send to instead; then nothing is created here, and that topic's policy
   * (and key policy, if it is encrypted) must let CloudWatch, Budgets and Cost Anomaly Detection publish.
   * @default "" (a topic is created)
   */
  readonly existingTopicArn?: string;
  /**
   * KMS key the created topic is encrypted with; null or undefined keeps the topic unencrypted. Its key
   * policy must let CloudWatch and Budgets use it ({@link EncryptionKey} does for the key it creates).
   * @default - unencrypted
   */
  readonly kmsKeyArn?: string;
  /**
   * Tags for the topic.
   * @default {}
   */
  readonly tags?: Record<string, string>;
}

/**
 * The one SNS topic every alarm, budget and cost anomaly alert of a deployment goes to, or an existing
 * topic given by ARN. Subscribe to it (e-mail, chat, paging) outside the module.
 */
export class AlarmTopic extends Construct {
  readonly topic: SnsTopic;
  /** The topic alarms send to: the created one or `existingTopicArn`. */
  readonly topicArn: string;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    checkProps(this.node.path, [{ prop: "existingTopicArn", value: props.existingTopicArn, rule: OPERATIONS_INPUTS.alarmTopicArn.rule }]);
    const existing = props.existingTopicArn ?? OPERATIONS_INPUTS.alarmTopicArn.default;
    const create = localCondition(this, "create", isEmptyString(existing));
    const count = countIf(create);
    const { context } = props;

    this.topic = new SnsTopic(this, "topic", {
      count,
      name: `${props.prefix}-alarms`,
      displayName: `self-runners ${props.prefix} alarms`,
      kmsMasterKeyId: props.kmsKeyArn,
      tags: props.tags ?? {},
    });
    const createdArn = Fn.lookupNested(this.topic.fqn, ["0", "arn"]);
    const sourceAccount = { "aws:SourceAccount": context.accountId };
    new SnsTopicPolicy(this, "policy", {
      count,
      arn: createdArn,
      // Each publisher is a service principal; the source conditions keep other accounts' alarms, budgets
      // and anomaly subscriptions (the confused deputy) from publishing here.
      policy: policyDocument([
        {
          Sid: "CloudWatchAlarmsPublish",
          Principal: { Service: "cloudwatch.amazonaws.com" },
          Action: ["sns:Publish"],
          Resource: createdArn,
          Condition: { StringEquals: sourceAccount, ArnLike: { "aws:SourceArn": `arn:${context.partition}:cloudwatch:${context.region}:${context.accountId}:alarm:${props.prefix}-*` } },
        },
        {
          Sid: "BudgetsPublish",
          Principal: { Service: "budgets.amazonaws.com" },
          Action: ["sns:Publish"],
          Resource: createdArn,
          Condition: { StringEquals: sourceAccount, ArnLike: { "aws:SourceArn": `arn:${context.partition}:budgets::${context.accountId}:budget/${props.prefix}-*` } },
        },
        {
          // Anomaly subscription ARNs end in a generated id, so only the account is pinned.
          Sid: "CostAnomalyDetectionPublish",
          Principal: { Service: "costalerts.amazonaws.com" },
          Action: ["sns:Publish"],
          Resource: createdArn,
          Condition: { StringEquals: sourceAccount },
        },
      ]),
    });
    this.topicArn = count === 1 ? createdArn : count === 0 ? existing : (Fn.conditional(create, Fn.try([createdArn, ""]), existing) as string);
  }
}
