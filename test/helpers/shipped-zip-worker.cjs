// One Lambda execution environment in its own Node process: loads the unpacked bundle at
// process.env.BUNDLE_ROOT (task/index.js, the layer on NODE_PATH, both set by the parent) and invokes
// its `handler` with each event the parent sends over IPC, answering { id, result } or { id, error }.
"use strict";
const { join } = require("node:path");

const entry = join(process.env.BUNDLE_ROOT, "task", "index.js");
const { handler } = require(entry);
const context = {
  functionName: "sr-webhook",
  functionVersion: "$LATEST",
  invokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:sr-webhook",
  memoryLimitInMB: "256",
  awsRequestId: "",
  logGroupName: "/aws/lambda/sr-webhook",
  logStreamName: "worker",
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 10_000,
  done() {},
  fail() {},
  succeed() {},
};

process.on("message", async (message) => {
  try {
    const result = await handler(message.event, { ...context, awsRequestId: `request-${message.id}` });
    process.send({ id: message.id, result });
  } catch (error) {
    process.send({ id: message.id, error: String(error) });
  }
});
process.send({ ready: true });
