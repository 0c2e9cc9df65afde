import { describe, expect, it } from "vitest";
import { InvalidJobMessageError, parseJobMessage } from "../../../lambdas/shared/index.js";
import { jobMessage } from "../../helpers/aws.js";

describe("parseJobMessage", () => {
  it("reads back what the webhook writes", () => {
    // Arrange
    const message = jobMessage();

    // Act / Assert
    expect(parseJobMessage(JSON.stringify(message))).toEqual(message);
  });

  it.each([
    { name: "not JSON", body: "{", reason: /not JSON/ },
    { name: "an array", body: "[]", reason: /not a JSON object/ },
    { name: "another version", body: JSON.stringify({ ...jobMessage(), version: 2 }), reason: /unsupported version 2/ },
    { name: "a string job id", body: JSON.stringify({ ...jobMessage(), jobId: "1" }), reason: /jobId/ },
    { name: "a repository without owner", body: JSON.stringify({ ...jobMessage(), repository: "app" }), reason: /owner\/repo/ },
    { name: "labels not strings", body: JSON.stringify({ ...jobMessage(), labels: [1] }), reason: /labels/ },
  ])("fails when the body is $name", ({ body, reason }) => {
    expect(() => parseJobMessage(body)).toThrow(InvalidJobMessageError);
    expect(() => parseJobMessage(body)).toThrow(reason);
  });
});
