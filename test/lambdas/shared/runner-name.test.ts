import { describe, expect, it } from "vitest";
import { instanceIdFromRunnerName, runnerName } from "../../../lambdas/shared/index.js";

describe("runner names", () => {
  it("joins prefix and instance id", () => {
    expect(runnerName("sr", "i-0123456789abcdef0")).toBe("sr-i-0123456789abcdef0");
  });

  it.each([
    { name: "sr-i-0123456789abcdef0", id: "i-0123456789abcdef0" },
    { name: "sr-i-0123abcd", id: "i-0123abcd" },
    { name: "sr-x-i-0123456789abcdef0", id: undefined },
    { name: "other-i-0123456789abcdef0", id: undefined },
    { name: "sr-i-0123456789abcdef", id: undefined },
    { name: "sr-build-box", id: undefined },
    { name: "sr-", id: undefined },
  ])("maps $name back to $id", ({ name, id }) => {
    expect(instanceIdFromRunnerName("sr", name)).toBe(id);
  });

  it("round-trips", () => {
    expect(instanceIdFromRunnerName("my-kit", runnerName("my-kit", "i-0fedcba9876543210"))).toBe("i-0fedcba9876543210");
  });
});
