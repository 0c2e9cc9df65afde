import { AwsFault } from "../../helpers/loopback-aws.js";
import type { LoopbackAws } from "../../helpers/loopback-aws.js";
import type { LimitWatch } from "../oracle.js";
import type { WorldDynamoDb } from "./dynamodb.js";
import type { Ec2Instance, Ec2Model } from "./ec2.js";
import type { GitHubWorld } from "./github.js";
import { invocationOf, kill } from "./invocations.js";
import type { Invocation } from "./invocations.js";
import type { CrashPoint } from "./options.js";
import type { CallScheduler } from "./scheduler.js";
import type { Timeline } from "./stats.js";

/** What crash injection needs of the world. */
export interface CrashWorld extends Pick<Timeline, "note"> {
  readonly aws: LoopbackAws;
  readonly dynamo: WorldDynamoDb;
  readonly github: GitHubWorld;
  readonly ec2: Ec2Model;
  readonly limitWatch: LimitWatch;
  readonly scheduler: CallScheduler | undefined;
  /** The crash crashAfter() injects, until it has happened `remaining` times. */
  crash: { point: CrashPoint; remaining: number } | undefined;
  ourLive(): Ec2Instance[];
}

/**
 * Every server refuses the requests of a dead invocation, and kills the invocation that caused the
 * side effect a scenario crashes after (the crash points of docs/reliability.md); a traced schedule
 * notes each side effect.
 */
export function wireCrashes(w: CrashWorld): void {
  // Crash injection and killed invocations, at every server.
  const refuse = (invocation: Invocation | undefined): string | undefined => (invocation?.killed === undefined ? undefined : `invocation ${invocation.id} is dead (${invocation.killed})`);
  w.dynamo.refuse = refuse;
  w.github.refuse = refuse;
  w.aws.intercept((_call, request) => {
    const reason = refuse(invocationOf(request.headers));
    if (reason !== undefined) throw new AwsFault("InternalFailure", 500, reason);
  });
  const sideEffect = (what: CrashPoint, invocation: Invocation | undefined): void => {
    // A traced schedule shows where each side effect fell among the calls of other invocations.
    if (invocation !== undefined) w.scheduler?.mark(invocation, what);
    if (w.crash === undefined || w.crash.point !== what || w.crash.remaining <= 0 || invocation === undefined) return;
    w.crash.remaining -= 1;
    kill(invocation, `crash after ${what}`);
    w.note(`crash injected after ${what} in ${invocation.id}`);
  };
  w.dynamo.onSideEffect = sideEffect;
  w.github.onSideEffect = (what, invocation) => sideEffect(what, invocation);
  w.ec2.onSideEffect = (what, invocation) => {
    // The live set grows only here: the limits are checked at once, not just at the next tick.
    w.limitWatch.observe(w.ourLive(), Date.now());
    sideEffect(what, invocation);
  };
}
