import { clearCaches } from "@aws-lambda-powertools/parameters";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it, vi } from "vitest";

vi.hoisted(() => {
  process.env.AWS_REGION = "eu-west-1";
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
});

import { ParameterReadError, getSecureString } from "../../../lambdas/shared/index.js";

const ssm = mockClient(SSMClient);

describe("getSecureString", () => {
  beforeEach(() => {
    clearCaches();
    ssm.reset();
  });

  afterAll(() => {
    ssm.restore();
  });

  it("reads the parameter decrypted and serves it from cache afterwards", async () => {
    // Arrange
    ssm.on(GetParameterCommand, { Name: "/sr/key", WithDecryption: true }).resolves({ Parameter: { Name: "/sr/key", Value: "pem" } });

    // Act
    const values = [await getSecureString("/sr/key"), await getSecureString("/sr/key")];

    // Assert
    expect(values).toEqual(["pem", "pem"]);
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(1);
  });

  it("fails when SSM refuses, naming the parameter", async () => {
    // Arrange
    ssm.on(GetParameterCommand).rejects(Object.assign(new Error("not found"), { name: "ParameterNotFound" }));

    // Act / Assert
    await expect(getSecureString("/sr/missing")).rejects.toThrow(new ParameterReadError("/sr/missing"));
  });
});
