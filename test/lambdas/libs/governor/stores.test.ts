import { dynamoDbWriteGovernor } from "../../../../lambdas/libs/governor/dynamodb-store.js";
import { memoryWriteGovernor } from "../../../../lambdas/libs/governor/memory-store.js";
import { dynalitePerFile } from "../../../helpers/dynalite-per-file.js";
import { describeGovernorContract } from "./governor-contract.js";

// One contract, both stores: the DynamoDB store against a DynamoDB-protocol server (its guarantee is a
// condition expression, which only a server evaluates), and the memory store used in its place elsewhere.

const dynalite = dynalitePerFile();

describeGovernorContract("DynamoDB (dynalite)", async (settings) => {
  const table = await dynalite.freshTable("jobs");
  return dynamoDbWriteGovernor(dynalite.db.documentClient, table, settings);
});

describeGovernorContract("memory", async (settings) => memoryWriteGovernor(settings));
