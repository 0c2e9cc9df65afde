import { createHash } from "node:crypto";
import { EC2Client } from "@aws-sdk/client-ec2";
import { SQSClient } from "@aws-sdk/client-sqs";
import { SSMClient } from "@aws-sdk/client-ssm";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import type { AwsClients } from "../../cli/clients.js";
import { run } from "../../cli/main.js";
import { dynamoDbLedger } from "../../lambdas/libs/ledger/dynamodb-store.js";
import type { Ledger } from "../../lambdas/libs/ledger/port.js";
import { TEST_CREDENTIALS, startDynalite } from "../helpers/dynalite.js";
import type { LocalDynamoDb } from "../helpers/dynalite.js";
import { AwsFault, LoopbackAws } from "../helpers/loopback-aws.js";
import { Ec2Model } from "../fault/world/ec2.js";
import { Ec2Faults } from "../fault/world/ec2-faults.js";
import { ACCOUNT, FifoQueue, REGION, SqsModel } from "../fault/world/sqs.js";

/**
 * A deployment for the CLI's tests: the ledger and runners tables on dynalite; SQS FIFO queues and EC2
 * instances from the fault world's models and an SSM parameter store, served over the loopback AWS
 * endpoint; one clock for all of them. The fault world's SQS model serves what the functions call;
 * this adds what the CLI calls (ListQueues, GetQueueUrl, GetQueueAttributes, ReceiveMessage).
 */
export class CliWorld {
  readonly aws = new LoopbackAws();
  sqs!: SqsModel;
  readonly ec2: Ec2Model;
  readonly parameters = new Map<string, string>();
  /** Epoch milliseconds. */
  clock = Date.parse("2026-12-06T12:00:00.000Z");
  db!: LocalDynamoDb;
  ledger!: Ledger;
  endpoint = "";
  private clients: AwsClients | undefined;
  /** Fault injection: an error to answer a call with (by `X-Amz-Target`, EC2 as `EC2.<Action>`). */
  refuse: (target: string) => AwsFault | undefined = () => undefined;

  constructor(readonly prefix = "sr") {
    this.ec2 = new Ec2Model(() => this.clock);
    // The CLI reads a settled account: instances listed as soon as they exist (the fault world stretches this).
    this.ec2.faults = new Ec2Faults({ listingDelayMs: [0, 0] });
  }

  get now(): Date {
    return new Date(this.clock);
  }

  async start(pools: readonly string[]): Promise<this> {
    // Queue URLs name the loopback endpoint: the SDK sends SQS calls to the host of the QueueUrl.
    this.endpoint = await this.aws.start();
    this.sqs = new SqsModel(this.endpoint, () => this.clock);
    this.db = await startDynalite();
    await this.db.createTable(`${this.prefix}-jobs`);
    await this.db.createTable(`${this.prefix}-runners`);
    this.ledger = dynamoDbLedger(this.db.documentClient, `${this.prefix}-jobs`);
    for (const pool of pools) this.sqs.createPool(pool, this.prefix, { visibilityTimeoutSeconds: 30, maxReceiveCount: 2 });
    this.parameters.set(`/${this.prefix}/draining`, "false");
    this.aws.intercept((call) => {
      const fault = this.refuse(call.target);
      if (fault !== undefined) throw fault;
    });
    this.sqs.serve(this.aws);
    this.serveQueueReads();
    this.ec2.serve(this.aws);
    this.aws
      .on("AmazonSSM.GetParameter", (input) => {
        const value = this.parameters.get(String(input.Name));
        if (value === undefined) throw new AwsFault("ParameterNotFound", 400, `Parameter ${String(input.Name)} not found.`);
        return { Parameter: { Name: input.Name, Type: "String", Value: value, Version: 1 } };
      })
      .on("AmazonSSM.PutParameter", (input) => {
        if (input.Overwrite !== true && this.parameters.has(String(input.Name))) throw new AwsFault("ParameterAlreadyExists", 400);
        this.parameters.set(String(input.Name), String(input.Value));
        return { Version: 2, Tier: "Standard" };
      });
    return this;
  }

  async stop(): Promise<void> {
    this.clients?.sqs.destroy();
    this.clients?.ec2.destroy();
    this.clients?.ssm.destroy();
    await this.aws.stop();
    await this.db.close();
  }

  /** The clients a command gets: DynamoDB on dynalite, the rest on the loopback endpoint. */
  awsClients(): AwsClients {
    const config = { region: REGION, endpoint: this.endpoint, credentials: TEST_CREDENTIALS, maxAttempts: 1 };
    this.clients ??= { dynamoDb: this.db.documentClient, sqs: new SQSClient(config), ec2: new EC2Client(config), ssm: new SSMClient(config) };
    return this.clients;
  }

  queue(pool: string): FifoQueue {
    return this.sqs.queues.get(`${this.endpoint}/${ACCOUNT}/${this.prefix}-${pool}.fifo`) as FifoQueue;
  }

  deadLetterQueue(pool: string): FifoQueue {
    return this.sqs.queues.get(`${this.endpoint}/${ACCOUNT}/${this.prefix}-${pool}-dlq.fifo`) as FifoQueue;
  }

  /** `terraform output -json` of this deployment, as the module writes it. */
  outputs(): Record<string, { sensitive: boolean; type: unknown; value: unknown }> {
    const pools = [...this.sqs.queues.values()].filter((q) => !q.name.endsWith("-dlq.fifo")).map((q) => q.name.slice(this.prefix.length + 1, -".fifo".length));
    const output = (value: unknown) => ({ sensitive: false, type: typeof value === "string" ? "string" : ["object", {}], value });
    return {
      jobs_table_name: output(`${this.prefix}-jobs`),
      runners_table_name: output(`${this.prefix}-runners`),
      draining_ssm_parameter_name: output(`/${this.prefix}/draining`),
      queue_urls: output(Object.fromEntries(pools.map((pool) => [pool, this.queue(pool).url]))),
      dead_letter_queue_arns: output(Object.fromEntries(pools.map((pool) => [pool, this.deadLetterQueue(pool).arn]))),
      webhook_url: output("https://abc.execute-api.eu-west-1.amazonaws.com/prod/webhook"),
    };
  }

  /** Runs one command line in-process; resolves with the exit code and what it printed. */
  async cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await run(argv, { stdout: (t) => out.push(t), stderr: (t) => err.push(t), clients: () => this.awsClients(), now: () => this.now });
    return { code, stdout: out.join("\n"), stderr: err.join("\n") };
  }

  /** A runners-table item as scale-up writes it (the CLI reads instanceId and runnerName). */
  async writeRunnerItem(instanceId: string, runnerName: string, pool: string): Promise<void> {
    await this.db.documentClient.send(
      new PutCommand({
        TableName: `${this.prefix}-runners`,
        Item: { pk: `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/${instanceId}`, instanceId, runnerName, pool, owner: "octo-org", installationId: 52103487, jitConfig: "secret" },
      }),
    );
  }

  private serveQueueReads(): void {
    const byUrl = (url: unknown): FifoQueue => {
      const queue = this.sqs.queues.get(String(url));
      if (queue === undefined) throw new AwsFault("AWS.SimpleQueueService.NonExistentQueue", 400, "The specified queue does not exist.");
      return queue;
    };
    this.aws
      .on("AmazonSQS.ListQueues", (input) => ({
        QueueUrls: [...this.sqs.queues.values()].filter((q) => q.name.startsWith(String(input.QueueNamePrefix ?? ""))).map((q) => q.url),
      }))
      .on("AmazonSQS.GetQueueUrl", (input) => {
        const queue = [...this.sqs.queues.values()].find((q) => q.name === input.QueueName);
        if (queue === undefined) throw new AwsFault("AWS.SimpleQueueService.NonExistentQueue", 400, "The specified queue does not exist.");
        return { QueueUrl: queue.url };
      })
      .on("AmazonSQS.GetQueueAttributes", (input) => {
        const queue = byUrl(input.QueueUrl);
        const visible = queue.visible(this.clock);
        return { Attributes: { ApproximateNumberOfMessages: String(visible), ApproximateNumberOfMessagesNotVisible: String(queue.messages.length - visible) } };
      })
      .on("AmazonSQS.ReceiveMessage", (input) => {
        const queue = byUrl(input.QueueUrl);
        const taken = queue.receive(Number(input.MaxNumberOfMessages ?? 1), this.clock);
        if (input.VisibilityTimeout !== undefined) for (const message of taken) message.visibleAt = this.clock + Number(input.VisibilityTimeout) * 1000;
        return {
          Messages: taken.map((m) => ({
            MessageId: m.messageId,
            ReceiptHandle: m.receiptHandle,
            Body: m.body,
            MD5OfBody: createHash("md5").update(m.body).digest("hex"),
            MessageAttributes: Object.fromEntries(Object.entries(m.attributes).map(([name, value]) => [name, { DataType: value.DataType, StringValue: value.StringValue }])),
          })),
        };
      });
  }
}
