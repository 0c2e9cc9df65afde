import { afterEach, describe, expect, it } from "vitest";
import { Lazy, Tokenization } from "../../stacks/cdktf.js";

// test/helpers/plain-token-traces.ts (a setup file of vitest.config.ts) keeps cdktf's token creation
// stacks but takes them without vite's source-map interceptor, the larger part of a synth's CPU here.

const installed = Error.prepareStackTrace;

afterEach(() => {
  Error.prepareStackTrace = installed;
});

function creationStackOfNewToken(): string[] {
  const token = Lazy.stringValue({ produce: () => "value" });
  const resolvable = Tokenization.reverseString(token).firstToken as unknown as { creationStack: string[] };
  return resolvable.creationStack;
}

describe("cdktf token creation stacks in the test suite", () => {
  it("are still recorded, with the frame that created the token", () => {
    const stack = creationStackOfNewToken();
    expect(stack.length).toBeGreaterThan(0);
    expect(stack.some((frame) => frame.includes("creationStackOfNewToken") && frame.includes("plain-token-traces.test.ts"))).toBe(true);
  });

  it("are taken without calling the installed Error.prepareStackTrace (vite's source-map interceptor)", () => {
    let calls = 0;
    const counting = (error: Error, frames: NodeJS.CallSite[]): unknown => {
      calls += 1;
      return installed ? installed(error, frames) : `${error}`;
    };
    Error.prepareStackTrace = counting;
    creationStackOfNewToken();
    expect(calls).toBe(0);
    // ...and the interceptor is back in place for every other stack trace.
    expect(Error.prepareStackTrace).toBe(counting);
    void new Error("mapped").stack;
    expect(calls).toBe(1);
  });
});
