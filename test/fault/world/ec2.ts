import { AwsFault, escapeXml } from "../../helpers/loopback-aws.js";
import type { LoopbackAws } from "../../helpers/loopback-aws.js";
import { invocationOf } from "./invocations.js";
import type { Invocation } from "./invocations.js";
import { Ec2Faults } from "./ec2-faults.js";
import { EC2_LIMITS, TokenBucket } from "./limits.js";

/**
 * EC2 as the kit sees it, over the query protocol: CreateFleet (type instant) with per-override
 * capacity a scenario scripts, DescribeInstances with tag and state filters and paging,
 * DescribeInstanceStatus (every instance healthy), TerminateInstances, CreateTags; instances go pending -> running -> shutting-down -> terminated.
 * Eventual consistency, quotas and price-ordered allocation come from `faults` (world/ec2-faults.ts).
 */

const NS = "http://ec2.amazonaws.com/doc/2016-11-15/";
const STATE_CODES: Record<InstanceState, number> = { pending: 0, running: 16, "shutting-down": 32, terminated: 48, stopping: 64, stopped: 80 };
export const PENDING_MS = 5_000;
export const SHUTTING_DOWN_MS = 10_000;

export type InstanceState = "pending" | "running" | "shutting-down" | "terminated" | "stopping" | "stopped";
export type CapacityType = "spot" | "on-demand";

/** Every instance the double launches runs with this profile, as the launch templates give it. */
export const RUNNER_INSTANCE_PROFILE_ARN = "arn:aws:iam::123456789012:instance-profile/sr-runner";

export interface Ec2Instance {
  readonly instanceId: string;
  readonly instanceType: string;
  readonly subnetId: string;
  readonly lifecycle: CapacityType;
  readonly launchTime: number;
  readonly tags: Map<string, string>;
  /** The invocation that launched it. */
  readonly launchedBy: string | undefined;
  state: InstanceState;
  stateSince: number;
  /** Who ended it: an API call (with the invocation), the instance itself, or a spot reclaim. */
  endedBy: string | undefined;
}

/** What one (type, subnet, capacity type) pool can give now: a number, or an error code instead. */
export type CapacityAnswer = number | { readonly error: string; readonly message?: string };
export type CapacityScript = (override: { instanceType: string; subnetId: string }, capacityType: CapacityType) => CapacityAnswer;

export interface TerminationRecord {
  readonly instanceId: string;
  readonly at: number;
  readonly by: string;
}

export class Ec2Model {
  readonly instances = new Map<string, Ec2Instance>();
  /** Scenario hooks. */
  capacity: CapacityScript = () => Number.POSITIVE_INFINITY;
  /** Listing delays, quotas and prices (the world replaces it with its seeded options). */
  faults = new Ec2Faults();
  /** Returns an error code to refuse the whole CreateFleet call (e.g. RequestLimitExceeded). */
  refuseCreateFleet: () => string | undefined = () => undefined;
  /** Every TerminateInstances call, per instance, for the busy-runner check. */
  readonly terminations: TerminationRecord[] = [];
  /** Called when an API call terminates a running instance (the runner dies with it). */
  onTerminate: (instance: Ec2Instance, by: string) => void = () => undefined;
  /** Called after a side effect: the world may crash the invocation that caused it. */
  onSideEffect: (what: "create-fleet", invocation: Invocation | undefined) => void = () => undefined;
  createFleetCalls = 0;
  createFleetThrottled = 0;
  /** EC2's request bucket for CreateFleet and resource bucket for instances (world/limits.ts). */
  private readonly createFleetBucket: TokenBucket;
  private readonly instanceBucket: TokenBucket;
  describePageSize = 100;
  private sequence = 0;

  constructor(private readonly now: () => number) {
    this.createFleetBucket = new TokenBucket(EC2_LIMITS.createFleetRequests.capacity, EC2_LIMITS.createFleetRequests.refillPerSecond);
    this.instanceBucket = new TokenBucket(EC2_LIMITS.instances.capacity, EC2_LIMITS.instances.refillPerSecond);
  }

  launch(instanceType: string, subnetId: string, lifecycle: CapacityType, tags: Map<string, string>, launchedBy: string | undefined): Ec2Instance {
    this.sequence += 1;
    const instanceId = `i-0${this.sequence.toString(16).padStart(16, "0")}`;
    const instance: Ec2Instance = { instanceId, instanceType, subnetId, lifecycle, launchTime: this.now(), tags, launchedBy, state: "pending", stateSince: this.now(), endedBy: undefined };
    this.instances.set(instanceId, instance);
    this.faults.launched(instance);
    return instance;
  }

  /** The instance shuts itself down (runner done, watchdog, boot timeout) or EC2 reclaims it. */
  shutDown(instanceId: string, by: string): void {
    const instance = this.instances.get(instanceId);
    if (instance === undefined || instance.state === "shutting-down" || instance.state === "terminated") return;
    instance.state = "shutting-down";
    instance.stateSince = this.now();
    instance.endedBy = by;
  }

  /** Moves instances along their lifecycle. */
  advance(): void {
    const now = this.now();
    for (const instance of this.instances.values()) {
      if (instance.state === "pending" && now - instance.stateSince >= PENDING_MS) {
        instance.state = "running";
        instance.stateSince = now;
      } else if (instance.state === "shutting-down" && now - instance.stateSince >= SHUTTING_DOWN_MS) {
        instance.state = "terminated";
        instance.stateSince = now;
      }
    }
  }

  live(): Ec2Instance[] {
    return [...this.instances.values()].filter((i) => i.state !== "terminated" && i.state !== "shutting-down");
  }

  serve(aws: LoopbackAws): void {
    aws
      .on("EC2.CreateFleet", (input, request) => this.createFleet(input, invocationOf(request.headers)))
      .on("EC2.DescribeInstances", (input) => this.describeInstances(input))
      // Status checks are not modelled: every instance passes them, so the answer names none.
      .on("EC2.DescribeInstanceStatus", () => `<DescribeInstanceStatusResponse xmlns="${NS}"><requestId>r</requestId><instanceStatusSet/></DescribeInstanceStatusResponse>`)
      .on("EC2.TerminateInstances", (input, request) => this.terminateInstances(input, invocationOf(request.headers)?.fn ?? "unknown"))
      .on("EC2.CreateTags", (input) => {
        for (const [key, value] of Object.entries(input)) {
          if (!/^ResourceId\.\d+$/.test(key)) continue;
          const instance = this.instances.get(String(value));
          if (instance === undefined || !this.faults.taggable(instance, this.now())) throw new AwsFault("InvalidInstanceID.NotFound", 400, `The instance ID '${String(value)}' does not exist`);
          for (let n = 1; input[`Tag.${n}.Key`] !== undefined; n += 1) instance.tags.set(String(input[`Tag.${n}.Key`]), String(input[`Tag.${n}.Value`] ?? ""));
        }
        return `<CreateTagsResponse xmlns="${NS}"><requestId>r</requestId><return>true</return></CreateTagsResponse>`;
      });
  }

  private createFleet(input: Record<string, unknown>, invocation: Invocation | undefined): string {
    this.createFleetCalls += 1;
    const at = Math.max(this.now(), invocation?.waitedUntil ?? 0);
    const wantedInstances = Number(input["TargetCapacitySpecification.TotalTargetCapacity"]);
    const throttled = !this.createFleetBucket.take(1, at) || !this.instanceBucket.take(wantedInstances, at) ? "RequestLimitExceeded" : undefined;
    const refused = throttled ?? this.refuseCreateFleet();
    if (refused !== undefined) {
      this.createFleetThrottled += 1;
      throw new AwsFault(refused, refused === "RequestLimitExceeded" ? 503 : 400, refused === "RequestLimitExceeded" ? "Request limit exceeded." : refused);
    }
    if (input.Type !== "instant") throw new AwsFault("InvalidParameterValue", 400, "only instant fleets are modelled");
    const template = String(input["LaunchTemplateConfigs.1.LaunchTemplateSpecification.LaunchTemplateName"] ?? "");
    const capacityType = String(input["TargetCapacitySpecification.DefaultTargetCapacityType"]) as CapacityType;
    let wanted = Number(input["TargetCapacitySpecification.TotalTargetCapacity"]);
    const overrides: Array<{ instanceType: string; subnetId: string }> = [];
    for (let n = 1; input[`LaunchTemplateConfigs.1.Overrides.${n}.InstanceType`] !== undefined; n += 1) {
      overrides.push({ instanceType: String(input[`LaunchTemplateConfigs.1.Overrides.${n}.InstanceType`]), subnetId: String(input[`LaunchTemplateConfigs.1.Overrides.${n}.SubnetId`]) });
    }
    const tags = new Map<string, string>();
    for (let n = 1; input[`TagSpecification.1.Tag.${n}.Key`] !== undefined; n += 1) tags.set(String(input[`TagSpecification.1.Tag.${n}.Key`]), String(input[`TagSpecification.1.Tag.${n}.Value`]));
    const launched: Ec2Instance[] = [];
    const errors: Array<{ override: { instanceType: string; subnetId: string }; code: string; message: string }> = [];
    for (const override of this.faults.byPrice(overrides, capacityType)) {
      if (wanted <= 0) break;
      const answer = this.capacity(override, capacityType);
      if (typeof answer !== "number") {
        errors.push({ override, code: answer.error, message: answer.message ?? answer.error });
        continue;
      }
      const room = this.faults.room(capacityType, override.instanceType, this.live());
      if (room === 0) {
        errors.push({ override, ...this.faults.quotaError(capacityType) });
        continue;
      }
      const granted = Math.min(wanted, answer, room);
      for (let i = 0; i < granted; i += 1) launched.push(this.launch(override.instanceType, override.subnetId, capacityType, new Map(tags), invocation?.id));
      wanted -= granted;
      if (granted === 0) errors.push({ override, code: "InsufficientInstanceCapacity", message: `There is no ${capacityType} capacity for ${override.instanceType} in ${override.subnetId}.` });
    }
    const lt = `<launchTemplateSpecification><launchTemplateName>${escapeXml(template)}</launchTemplateName><version>$Default</version></launchTemplateSpecification>`;
    const ltAndOverrides = (o: { instanceType: string; subnetId: string }) =>
      `<launchTemplateAndOverrides>${lt}<overrides><instanceType>${o.instanceType}</instanceType><subnetId>${o.subnetId}</subnetId></overrides></launchTemplateAndOverrides>`;
    const byPair = new Map<string, Ec2Instance[]>();
    for (const instance of launched) {
      const key = `${instance.instanceType}|${instance.subnetId}`;
      byPair.set(key, [...(byPair.get(key) ?? []), instance]);
    }
    const fleetInstances = [...byPair.values()]
      .map((list) => {
        const first = list[0] as Ec2Instance;
        return `<item>${ltAndOverrides(first)}<lifecycle>${capacityType}</lifecycle><instanceIds>${list.map((i) => `<item>${i.instanceId}</item>`).join("")}</instanceIds><instanceType>${first.instanceType}</instanceType></item>`;
      })
      .join("");
    const errorItems = errors
      .map((e) => `<item>${ltAndOverrides(e.override)}<lifecycle>${capacityType}</lifecycle><errorCode>${e.code}</errorCode><errorMessage>${escapeXml(e.message)}</errorMessage></item>`)
      .join("");
    this.onSideEffect("create-fleet", invocation);
    return `<CreateFleetResponse xmlns="${NS}"><requestId>r</requestId><fleetId>fleet-${this.createFleetCalls}</fleetId><errorSet>${errorItems}</errorSet><fleetInstanceSet>${fleetInstances}</fleetInstanceSet></CreateFleetResponse>`;
  }

  private describeInstances(input: Record<string, unknown>): string {
    const ids = Object.entries(input).filter(([key]) => /^InstanceId\.\d+$/.test(key)).map(([, value]) => String(value));
    const filters: Array<{ name: string; values: string[] }> = [];
    for (let n = 1; input[`Filter.${n}.Name`] !== undefined; n += 1) {
      const values: string[] = [];
      for (let v = 1; input[`Filter.${n}.Value.${v}`] !== undefined; v += 1) values.push(String(input[`Filter.${n}.Value.${v}`]));
      filters.push({ name: String(input[`Filter.${n}.Name`]), values });
    }
    const now = this.now();
    // Eventual consistency: the API knows an instance only from its listing delay until it vanished.
    const known = new Map([...this.instances].filter(([, i]) => this.faults.listed(i, now)));
    let matching = [...known.values()];
    if (ids.length > 0) {
      const unknown = ids.find((id) => !known.has(id));
      if (unknown !== undefined) throw new AwsFault("InvalidInstanceID.NotFound", 400, `The instance ID '${unknown}' does not exist`);
      matching = ids.map((id) => known.get(id) as Ec2Instance);
    }
    for (const filter of filters) {
      if (filter.name === "instance-state-name") matching = matching.filter((i) => filter.values.includes(i.state));
      else if (filter.name.startsWith("tag:")) matching = matching.filter((i) => filter.values.includes(i.tags.get(filter.name.slice(4)) ?? "\u0000"));
      else throw new AwsFault("InvalidParameterValue", 400, `filter ${filter.name} is not modelled`);
    }
    const start = Number(input.NextToken ?? 0);
    const pageSize = Math.min(Number(input.MaxResults ?? 1000), this.describePageSize);
    const page = ids.length > 0 ? matching : matching.slice(start, start + pageSize);
    const next = ids.length === 0 && start + pageSize < matching.length ? `<nextToken>${start + pageSize}</nextToken>` : "";
    const items = page
      .map(
        (i) =>
          `<item><reservationId>r-${i.instanceId.slice(2)}</reservationId><ownerId>123456789012</ownerId><groupSet/><instancesSet><item>` +
          `<instanceId>${i.instanceId}</instanceId><imageId>ami-0123456789abcdef0</imageId><instanceState><code>${STATE_CODES[i.state]}</code><name>${i.state}</name></instanceState>` +
          `<instanceType>${i.instanceType}</instanceType><iamInstanceProfile><arn>${RUNNER_INSTANCE_PROFILE_ARN}</arn><id>AIPAEXAMPLE</id></iamInstanceProfile><launchTime>${new Date(i.launchTime).toISOString()}</launchTime><subnetId>${i.subnetId}</subnetId>` +
          (i.lifecycle === "spot" ? "<instanceLifecycle>spot</instanceLifecycle>" : "") +
          `<tagSet>${[...i.tags].map(([k, v]) => `<item><key>${escapeXml(k)}</key><value>${escapeXml(v)}</value></item>`).join("")}</tagSet>` +
          `</item></instancesSet></item>`,
      )
      .join("");
    return `<DescribeInstancesResponse xmlns="${NS}"><requestId>r</requestId><reservationSet>${items}</reservationSet>${next}</DescribeInstancesResponse>`;
  }

  private terminateInstances(input: Record<string, unknown>, by: string): string {
    const ids = Object.entries(input).filter(([key]) => /^InstanceId\.\d+$/.test(key)).map(([, value]) => String(value));
    const unknown = ids.find((id) => !this.instances.has(id));
    if (unknown !== undefined) throw new AwsFault("InvalidInstanceID.NotFound", 400, `The instance ID '${unknown}' does not exist`);
    const items = ids.map((id) => {
      const instance = this.instances.get(id) as Ec2Instance;
      const previous = instance.state;
      if (previous !== "terminated" && previous !== "shutting-down") {
        this.terminations.push({ instanceId: id, at: this.now(), by });
        this.onTerminate(instance, by);
        this.shutDown(id, `terminate:${by}`);
      }
      return `<item><instanceId>${id}</instanceId><currentState><code>${STATE_CODES[instance.state]}</code><name>${instance.state}</name></currentState><previousState><code>${STATE_CODES[previous]}</code><name>${previous}</name></previousState></item>`;
    });
    return `<TerminateInstancesResponse xmlns="${NS}"><requestId>r</requestId><instancesSet>${items.join("")}</instancesSet></TerminateInstancesResponse>`;
  }
}
