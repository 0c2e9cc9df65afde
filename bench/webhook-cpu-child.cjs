// One fresh Lambda execution environment for bench/webhook-cpu.ts: loads the unpacked webhook bundle
// at BUNDLE_ROOT (layer on NODE_PATH, set by the parent), measures the CPU of loading it, then, when
// EVENTS_FILE is given, invokes the handler with each event in turn (the first WARM_UP ones unmeasured)
// and prints { initMs, perRequestMs, userMs, systemMs, statuses } as JSON on stdout.
"use strict";
const { readFileSync } = require("node:fs");
const { join } = require("node:path");

const cpuMs = (since) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};

async function main() {
  const before = process.cpuUsage();
  const { handler } = require(join(process.env.BUNDLE_ROOT, "task", "index.js"));
  const initMs = cpuMs(before);
  if (!process.env.EVENTS_FILE) return { initMs };
  const events = JSON.parse(readFileSync(process.env.EVENTS_FILE, "utf8"));
  const warmUp = Number(process.env.WARM_UP ?? 0);
  // A whole Lambda context, as Lambda passes it (the logger reads it).
  const context = {
    callbackWaitsForEmptyEventLoop: false,
    functionName: "sr-webhook",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:sr-webhook",
    memoryLimitInMB: "256",
    awsRequestId: "bench",
    logGroupName: "/aws/lambda/sr-webhook",
    logStreamName: "bench",
    getRemainingTimeInMillis: () => 10_000,
    done() {},
    fail() {},
    succeed() {},
  };
  const statuses = {};
  let measuredSince;
  for (let i = 0; i < events.length; i++) {
    if (i === warmUp) measuredSince = process.cpuUsage();
    const answer = await handler(events[i], { ...context, awsRequestId: `bench-${i}` });
    statuses[answer.statusCode] = (statuses[answer.statusCode] ?? 0) + 1;
  }
  const used = process.cpuUsage(measuredSince);
  const measured = events.length - warmUp;
  return { initMs, perRequestMs: (used.user + used.system) / 1000 / measured, userMs: used.user / 1000 / measured, systemMs: used.system / 1000 / measured, statuses };
}

main().then(
  (result) => process.stdout.write(JSON.stringify(result)),
  (error) => {
    process.stderr.write(String(error && error.stack ? error.stack : error));
    process.exit(1);
  },
);
