import { describe, expect, it } from "vitest";
import { dropForeignEndpoints } from "./world/handler-env.js";

describe("dropForeignEndpoints: the world's handlers reach only the world's doubles", () => {
  it("removes per-service endpoints left in the process that the world does not set, keeps its own and the rest", () => {
    // What the bench's webhook group leaves behind: its doubles' SSM and SQS endpoints, long stopped.
    const processEnv: NodeJS.ProcessEnv = {
      AWS_ENDPOINT_URL_SSM: "http://127.0.0.1:42429",
      AWS_ENDPOINT_URL_SQS: "http://127.0.0.1:42429",
      AWS_ENDPOINT_URL_DYNAMODB: "http://127.0.0.1:33269",
      AWS_ENDPOINT_URL: "http://127.0.0.1:9",
      PATH: "/bin",
    };
    const dropped = dropForeignEndpoints({ AWS_ENDPOINT_URL: "http://127.0.0.1:5000", AWS_ENDPOINT_URL_DYNAMODB: "http://127.0.0.1:5001" }, processEnv);
    expect(dropped.sort()).toEqual(["AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL_SSM"]);
    expect(processEnv).toEqual({ AWS_ENDPOINT_URL_DYNAMODB: "http://127.0.0.1:33269", AWS_ENDPOINT_URL: "http://127.0.0.1:9", PATH: "/bin" });
  });
});
