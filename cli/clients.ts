import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EC2Client } from "@aws-sdk/client-ec2";
import { SQSClient } from "@aws-sdk/client-sqs";
import { SSMClient } from "@aws-sdk/client-ssm";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/** The SDK clients the commands use; tests hand in clients bound to dynalite and loopback doubles. */
export interface AwsClients {
  readonly dynamoDb: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
  readonly ec2: EC2Client;
  readonly ssm: SSMClient;
}

/**
 * Clients from the SDK's default chains (credentials, profile, `AWS_ENDPOINT_URL_*`), in `region`
 * when given. Built lazily by the caller: `--help` and usage errors need no credentials.
 */
export function defaultClients(region: string | undefined): AwsClients {
  const config = region === undefined ? {} : { region };
  return {
    dynamoDb: DynamoDBDocumentClient.from(new DynamoDBClient(config), { marshallOptions: { removeUndefinedValues: true } }),
    sqs: new SQSClient(config),
    ec2: new EC2Client(config),
    ssm: new SSMClient(config),
  };
}
