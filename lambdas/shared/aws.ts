import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EC2Client } from "@aws-sdk/client-ec2";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

// Built once per execution environment so warm invocations reuse connections. The region comes from
// AWS_REGION, which Lambda always sets; the SDK reads it when the option is undefined as well.
const region = process.env.AWS_REGION;

export const sqsClient = new SQSClient({ region });
export const ec2Client = new EC2Client({ region });
export const dynamoDbClient = new DynamoDBClient({ region });
export const dynamoDbDocumentClient = DynamoDBDocumentClient.from(dynamoDbClient, {
  marshallOptions: { removeUndefinedValues: true },
});
