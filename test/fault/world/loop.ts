import { vi } from "vitest";
import type { Agenda } from "./agenda.js";
import type { ControlPlane } from "./control-plane.js";
import type { GitHubJob } from "./github.js";
import { MINUTE, SIM_START } from "./options.js";
import type { ScenarioReport } from "./options.js";
import { buildReport } from "./report.js";
import type { ReportWorld } from "./report.js";
import { stepRunners } from "./runner-fleet.js";
import type { FleetWorld } from "./runner-fleet.js";
import type { CallScheduler } from "./scheduler.js";
import { deliverWebhooks, startWebhooks } from "./webhook-delivery.js";
import type { WebhookWorld } from "./webhook-delivery.js";

/**
 * The world's loop: tick by tick on the simulated clock, skipping ahead when nothing moves, until the
 * script is done and everything has settled; then the report (report.ts).
 */

/** What the loop drives: every part of the world. */
export type LoopWorld = WebhookWorld &
  FleetWorld &
  ReportWorld & {
    readonly agenda: Agenda;
    readonly controlPlane: ControlPlane;
    readonly scheduler: CallScheduler | undefined;
    readonly profile: Map<string, number>;
    trackPeaks(): void;
  };

/** Steps the world until the script is done and everything has settled, then two more reconcile runs. */
export async function runWorld(w: LoopWorld): Promise<ScenarioReport> {
  const deadline = SIM_START + w.options.maxSimMs;
  let quietSince: number | undefined;
  const realStart = performance.now();
  const cpuStart = process.cpuUsage();
  let nextProgress = SIM_START;
  while (Date.now() < deadline) {
    await stepWorld(w);
    if (process.env.FAULT_PROGRESS && Date.now() >= nextProgress) {
      nextProgress += 5 * MINUTE;
      const done = [...w.github.jobs.values()].filter((j) => j.status === "completed").length;
      const depth = [...w.pools.values()].reduce((n, p) => n + p.queue.messages.length, 0);
      const cpu = process.cpuUsage(cpuStart);
      console.log(`sim +${Math.round((Date.now() - SIM_START) / 60_000)} min, real ${Math.round(performance.now() - realStart)} ms, cpu ${Math.round((cpu.user + cpu.system) / 1000)} ms, done ${done}/${w.github.jobs.size}, live ${w.ec2.live().length}, queued ${depth}, invocations ${w.stats.scaleUpInvocations}, dynamodb ${w.dynamo.calls.total}, ${JSON.stringify(Object.fromEntries([...w.profile].map(([k, v]) => [k, Math.round(v)])))}`);
    }
    if (quiet(w)) {
      quietSince ??= w.stats.reconcileRuns;
      // Two reconcile runs after everything settled: what they leave are orphans.
      if (w.stats.reconcileRuns - quietSince >= 2) break;
    } else {
      quietSince = undefined;
    }
  }
  return buildReport(w, Date.now() >= deadline);
}

function quiet(w: LoopWorld): boolean {
  if (w.agenda.events.length > 0 || w.github.deliveries.length > 0 || w.controlPlane.busyScaleUp.size > 0) return false;
  // Interleaved worlds: webhook and spot invocations still working, deliveries waiting for an environment.
  // A reconcile run is not: with a slow GitHub it is live through much of each tick, and it is what the
  // two quiet runs below count.
  if ((w.scheduler?.liveCountExcept("reconcile") ?? 0) > 0 || w.webhookBacklog.length > 0) return false;
  for (const { queue } of w.pools.values()) if (queue.messages.length > 0) return false;
  for (const job of w.github.jobs.values()) {
    if (w.expectDeadLetter.has(job.logicalId)) continue;
    if (job.status !== "completed") return false;
    if (job.conclusion === "failure" && job.rerunAs === undefined && wasInterrupted(w, job)) return false;
  }
  // Runners still doing something; hung instances wait for the reconciler and count as orphans.
  if (!w.runnerSims().every((sim) => sim.phase === "gone" || sim.hung)) return false;
  // Runner items and registrations vouch for their instance during the boot timeout (docs/contracts.md).
  const newest = Math.max(0, ...[...w.ec2.instances.values()].map((i) => i.launchTime));
  return Date.now() - newest > w.env("RUNNER_BOOT_TIMEOUT_SECONDS") * 1000;
}

function wasInterrupted(w: LoopWorld, job: GitHubJob): boolean {
  return w.runnerSims().some((sim) => sim.interrupted && sim.jobId === job.id);
}

/** One tick: scripted events, webhooks, EC2, the runners, then the functions' invocations. */
export async function stepWorld(w: LoopWorld): Promise<void> {
  const tickEnd = Date.now() + w.options.tickMs;
  await w.agenda.runDue(Date.now());
  const timed = async (what: string, work: () => Promise<void>): Promise<void> => {
    const started = performance.now();
    await work();
    w.profile.set(what, (w.profile.get(what) ?? 0) + performance.now() - started);
  };
  await w.dynamo.faults.replicate(Date.now());
  const scheduler = w.scheduler;
  if (scheduler === undefined) await timed("webhooks", () => deliverWebhooks(w));
  else startWebhooks(w, scheduler);
  w.ec2.advance();
  await timed("runners", () => stepRunners(w));
  if (scheduler !== undefined) {
    await timed("interleaved", () => w.controlPlane.interleave(scheduler, tickEnd, () => startWebhooks(w, scheduler)));
  } else {
    await timed("scale-up", () => w.controlPlane.pollQueues());
    w.trackPeaks();
    if (Date.now() >= w.controlPlane.nextReconcileAt) {
      await timed("reconcile", () => w.controlPlane.runReconcile());
      w.controlPlane.nextReconcileAt += 5 * MINUTE;
    }
  }
  const wake = Math.max(tickEnd, nextWake(w));
  if (Date.now() < wake) vi.setSystemTime(wake);
}

/**
 * When nothing moves (no runner working, no instance changing state, no message visible), the next
 * tick is the next thing that happens: a scripted event, a webhook, a message becoming visible, the
 * reconciler's schedule. Long waits (a redelivery two hours later) then cost no idle ticks.
 */
function nextWake(w: LoopWorld): number {
  if (w.agenda.conditions.length > 0 || (w.scheduler?.liveCount ?? 0) > 0 || w.webhookBacklog.length > 0) return 0;
  if (w.runnerSims().some((sim) => sim.phase !== "gone" && !sim.hung)) return 0;
  for (const instance of w.ec2.instances.values()) if (instance.state === "pending" || instance.state === "shutting-down") return 0;
  const times = [w.controlPlane.nextReconcileAt, ...w.agenda.events.map((e) => e.at), ...w.github.deliveries.map((d) => d.at)];
  for (const { queue } of w.pools.values()) for (const message of queue.messages) times.push(message.visibleAt);
  return Math.min(...times);
}

