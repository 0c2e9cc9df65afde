import { describe, expect, it } from "vitest";
import * as aws5 from "../../stacks/aws.js";
import { attributeReferences, classesByType, comparableSynth, deprecatedUses, missingAttributes } from "../../scripts/compat/references.js";

describe("attribute references of a synthesized stack", () => {
  it("finds resource and data source attributes read in any expression, with or without an index", () => {
    // Arrange
    const stack = {
      resource: { aws_sqs_queue: { jobs: { redrive_policy: '${jsonencode({"deadLetterTargetArn" = aws_sqs_queue.dlq[0].arn})}' } } },
      output: { region: { value: "${data.aws_region.current_region.id}" }, queue: { value: '${aws_sqs_queue.jobs["linux"].url}' } },
      locals: { text: "arn:aws:ssm:eu-west-1:1:parameter/aws_like.not.reference" },
    };

    // Act
    const references = attributeReferences(stack);

    // Assert
    expect(references).toEqual([
      { type: "aws_sqs_queue", attribute: "arn" },
      { type: "aws_sqs_queue", attribute: "url" },
      { type: "data.aws_region", attribute: "id" },
    ]);
  });

  it("looks attributes up as getters of the binding classes", () => {
    // Arrange
    const classes = classesByType(aws5 as Record<string, unknown>);

    // Act
    const missing = missingAttributes(
      [
        { type: "data.aws_region", attribute: "name" },
        { type: "aws_caller_identity", attribute: "account_id" },
        { type: "data.aws_caller_identity", attribute: "account_id" },
        { type: "aws_sqs_queue", attribute: "no_such_attribute" },
      ],
      classes,
    );

    // Assert: aws_caller_identity is a data source only.
    expect(missing).toEqual(["aws_caller_identity.account_id", "aws_sqs_queue.no_such_attribute"]);
    expect(classes.get("data.aws_region")).toBe(aws5.DataAwsRegion);
  });

  it("ignores what differs between two synths of the same constructs and nothing else", () => {
    // Arrange
    const synth = (version: string, source: string, hash: string, queueName: string) => ({
      "//": { metadata: { version } },
      terraform: { backend: { local: { path: `/tmp/${hash}` } }, required_providers: { aws: { source, version } } },
      resource: { aws_lambda_function: { f: { filename: `assets/${hash}/webhook.zip` } }, aws_sqs_queue: { q: { name: queueName } } },
    });

    // Act / Assert
    expect(comparableSynth(synth("5.100.0", "aws", "A1", "jobs"))).toEqual(comparableSynth(synth("6.66.0", "hashicorp/aws", "B2", "jobs")));
    expect(comparableSynth(synth("5.100.0", "aws", "A1", "jobs"))).not.toEqual(comparableSynth(synth("5.100.0", "aws", "A1", "other")));
  });
});

describe("deprecations of hashicorp/aws 6.x", () => {
  it("fails when the stack reads data.aws_region.name or sets a deprecated argument", () => {
    // Arrange
    const stack = {
      data: { aws_region: { current: {} } },
      resource: { aws_s3_bucket: { audit: { bucket: "b", region: "eu-west-1" } } },
      output: { region: { value: "${data.aws_region.current.name}" } },
    };

    // Act
    const uses = deprecatedUses(stack);

    // Assert
    expect(uses).toEqual([
      "data.aws_region.name is deprecated in hashicorp/aws 6.x: use `id` (5.x and 6.x) or `region` (6.x only)",
      "aws_s3_bucket.region is deprecated in hashicorp/aws 6.x: use `bucket_region` (6.x); `region` now selects the region the bucket is managed in",
    ]);
  });

  it("accepts the region read through id", () => {
    expect(deprecatedUses({ output: { region: { value: "${data.aws_region.current.id}" } } })).toEqual([]);
  });
});
