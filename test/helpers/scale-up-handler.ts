import { clearCaches } from "@aws-lambda-powertools/parameters";
import { CreateTagsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { SQSClient } from "@aws-sdk/client-sqs";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import nock from "nock";
import { SCALE_UP_ENV } from "../../contracts/index.js";
import { createHandler, defaultDeps } from "../../lambdas/scale-up/scale-up.lambda.js";
import { TEST_REGION, scriptInstantFleet } from "./aws.js";
import { restoreDoubles } from "./restore-doubles.js";
import { names } from "./contracts.js";
import { startDynalite } from "./dynalite.js";
import { generateAppPrivateKey } from "./openapi.js";
import { quietPowertools } from "./powertools.js";

// The scale-up handler from its factory with a test's environment (never process.env): DynamoDB is
// dynalite (the ledger's guarantees are condition expressions, which only a server evaluates); EC2,
// SQS and SSM are aws-sdk-client-mock doubles; GitHub is reached only through nock.

const ENV = names(SCALE_UP_ENV);

/**
 * The handler on its doubles. `setUp` creates the tables and scripts the doubles: a key for every App
 * the environment names, `secureStrings` (SSM name -> value), the draining switch off, every SQS call
 * answered, CreateFleet launching what it is asked; `tearDown` restores them.
 */
export async function scaleUpHandlerOnDoubles(env: Record<string, string>, secureStrings: Readonly<Record<string, string>> = {}) {
  const db = await startDynalite();
  quietPowertools();
  const handler = createHandler(() => defaultDeps(env, { ec2: new EC2Client({ region: TEST_REGION }), sqs: new SQSClient({ region: TEST_REGION }), dynamoDb: db.client }));
  const ec2 = mockClient(EC2Client);
  const ssm = mockClient(SSMClient);
  const sqs = mockClient(SQSClient);
  const parameter = (name: string, type: "String" | "SecureString", value: string) => ssm.on(GetParameterCommand, { Name: name }).resolves({ Parameter: { Name: name, Type: type, Value: value } });
  const additionalApps = JSON.parse(env[ENV.additionalGithubApps] ?? "[]") as Array<{ privateKeyParameter: string }>;
  const appKeys = [env[ENV.githubAppPrivateKeySsmParameterName] as string, ...additionalApps.map((app) => app.privateKeyParameter)];
  return {
    db,
    handler,
    ec2,
    ssm,
    sqs,
    async setUp(): Promise<void> {
      nock.disableNetConnect();
      nock.enableNetConnect((host: string) => host.startsWith("127.0.0.1:"));
      await db.createTable(env[ENV.jobsTable] as string);
      await db.createTable(env[ENV.runnersTable] as string);
      clearCaches();
      for (const name of appKeys) parameter(name, "SecureString", generateAppPrivateKey());
      for (const [name, value] of Object.entries(secureStrings)) parameter(name, "SecureString", value);
      parameter(env[ENV.drainingParameter] as string, "String", "false");
      sqs.onAnyCommand().resolves({});
      ec2.on(CreateTagsCommand).resolves({});
      scriptInstantFleet(ec2);
    },
    tearDown: (): Promise<void> => restoreDoubles(db, ec2, ssm, sqs),
  };
}
