import { describe, expect, it } from "vitest";
import { decide, ownersToQuery } from "../../../lambdas/reconcile/decide.js";
import type { InstanceView, RegistrationView } from "../../../lambdas/reconcile/decide.js";
import { DECIDE_RUNNERS_NOW as NOW, RUNNER_PREFIX as PREFIX, decideInput as input } from "../../helpers/decide-runners.js";

// The reconciler's guards, one test per mutant Stryker left alive in decide.ts (docs/reliability.md,
// "Mutation testing"): a stopping instance, tags without an owner or installation, registrations of an
// owner no instance or record names, and idle sightings forgotten only when there was one.

const I1 = "i-0123456789abcdef0";
/** Younger than the boot timeout: only the state or the tags decide. */
const YOUNG = new Date(NOW.getTime() - 60_000);

function instance(overrides: Partial<InstanceView> = {}): InstanceView {
  return { instanceId: I1, state: "running", launchTime: YOUNG, pool: "linux", owner: "octo-org", installationId: 42, ...overrides };
}

function registration(overrides: Partial<RegistrationView> = {}): RegistrationView {
  return { id: 77, name: `${PREFIX}-${I1}`, status: "online", busy: false, ...overrides };
}

describe("a stopping instance", () => {
  it("is stopped like a stopped one, registered or not, even within the boot timeout", () => {
    const registered = decide(input({ instances: [instance({ state: "stopping" })], registrations: new Map([["octo-org", [registration()]]]) }));
    expect(registered.deregisterThenTerminate).toEqual([{ owner: "octo-org", installationId: 42, runnerId: 77, instanceId: I1, reason: "stopped" }]);
    expect(registered.keep).toEqual([]);
    const unregistered = decide(input({ instances: [instance({ state: "stopping" })] }));
    expect(unregistered.terminate).toEqual([{ instanceId: I1, reason: "stopped" }]);
  });
});

describe("an instance whose tags name no owner or no installation", () => {
  it("is kept as owner-unknown and lists no owner's registrations", () => {
    for (const tags of [{ owner: undefined }, { installationId: undefined }]) {
      const decision = decide(input({ instances: [instance({ state: "stopped", ...tags })] }));
      expect(decision.keep).toEqual([{ instanceId: I1, reason: "owner-unknown" }]);
      expect(decision.terminate).toEqual([]);
      expect(ownersToQuery([instance(tags)], [])).toEqual(new Map());
    }
  });
});

describe("registrations of an owner no instance or record names", () => {
  it("deletes none of them: there is no installation to delete them through", () => {
    const decision = decide(input({ registrations: new Map([["ghost-org", [registration({ status: "offline" })]]]) }));
    expect(decision.deleteRegistrations).toEqual([]);
  });
});

describe("idle sightings", () => {
  it("forgets nothing for a busy or working runner that was never seen idle", () => {
    const registrations = new Map([["octo-org", [registration({ busy: true }), registration({ id: 78, name: `${PREFIX}-i-0fedcba9876543210` })]]]);
    const decision = decide(input({ instances: [instance(), instance({ instanceId: "i-0fedcba9876543210" })], registrations, idleSeen: new Map() }));
    expect(decision.keep).toEqual([
      { instanceId: I1, reason: "busy" },
      { instanceId: "i-0fedcba9876543210", reason: "working" },
    ]);
    expect(decision.clearIdle).toEqual([]);
  });
});
