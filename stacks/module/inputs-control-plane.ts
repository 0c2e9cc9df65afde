/** The control plane's tuning, a group of the input table (./inputs.ts): draining, limits, timings, GitHub budgets. */
import { integerBetween } from "./rules.js";
import type { InputGroup } from "./input-spec.js";
import { SHARED_INPUTS } from "./shared-rules.js";

export const CONTROL: InputGroup = {
  title: "Control plane",
  inputs: [
    {
      name: "draining", type: "bool", default: false,
      description: "Initial state of the draining switch, the /<prefix>/draining SSM parameter: true pauses launches (webhooks are still accepted and jobs stay queued). Terraform sets it only when it creates the parameter; afterwards operators flip the parameter at run time (aws ssm put-parameter --overwrite) and their value wins, so changing this variable later has no effect.",
    },
    {
      name: "max_runners_total", type: "number", default: 1000,
      description: "Most runners of all pools together. A job over the limit waits on its queue (back-off with jitter), it is not failed.",
      rules: [integerBetween(1, 100000)],
    },
    {
      name: "max_runners_per_owner", type: "number", default: 1000,
      description: "Most runners of one organization (org scope) or repository (repo scope) across pools; over it, jobs wait.",
      rules: [integerBetween(1, 100000)],
    },
    {
      name: "job_max_age_seconds", type: "number", default: 21600,
      description: "A job still waiting for a runner after this many seconds is reported (log, metric), marked failed in the ledger and moved to its pool's dead-letter queue with the reason.",
      rules: [integerBetween(300, 86400, " (GitHub drops jobs queued for 24 hours)")],
    },
    {
      name: "job_wait_max_seconds", type: "number", default: 900,
      description: "Longest back-off between two tries of a waiting job (draining, limits, GitHub budget, EC2 capacity).",
      rules: [integerBetween(30, 3600)],
    },
    {
      name: "github_min_remaining_requests", type: "number", default: 200,
      description: "GitHub API requests kept in reserve per App installation. Below it, launches slow down (jobs wait for the budget reset) instead of failing.",
      rules: [integerBetween(1, 100000)],
    },
    {
      name: "github_writes_per_minute", type: "number", default: 150,
      description: "GitHub writes (runner JIT configurations) per minute per App, shared by every scale-up environment through the write governor in the ledger table (docs/performance.md). GitHub allows 900 points a minute per REST endpoint and a POST costs 5, so 180; the default keeps a margin for the App's other writes. Several Apps (additional_github_apps) multiply it.",
      rules: [integerBetween(1, 160, " (with the largest github_write_burst, 10, the fleet then sends at most 177 writes in any 60 s, turns used late included, under the 180 that GitHub's 900 points a minute allow at 5 points a POST)")],
    },
    {
      name: "github_write_burst", type: "number", default: 10,
      description: "Most GitHub writes an App may make at once after a quiet period (one SQS batch at the default): the size of the write governor's bucket. In any 60 s the fleet sends at most github_writes_per_minute + github_write_burst writes per App, plus the turns of jobs back late (3/4 of what is left under GitHub's 180; 175 in all at the defaults, docs/performance.md).",
      rules: [integerBetween(1, 10, " (with github_writes_per_minute at most 160, at most 177 writes in any 60 s, turns used late included, under the 180 that GitHub's 900 points a minute allow at 5 points a POST)")],
    },
    {
      name: "busy_confirm_seconds", type: "number", default: 90,
      description: "A runner must look idle for this long (two reconciler sightings at least this far apart) before it is stopped: GitHub's busy flag lags a job start by up to a minute.",
      rules: [integerBetween(60, 3600, " (GitHub's busy flag lags up to a minute)")],
    },
    {
      name: "relaunch_grace_seconds", type: "number", default: 300,
      description: "Seconds after launch before the reconciler relaunches a job whose runner is gone or took another job, if GitHub still has the job queued.",
      rules: [integerBetween(60, 86400)],
    },
    {
      name: "webhook_healer_max_github_calls", type: "number", default: 30,
      description: "GitHub requests the webhook healer may make per reconcile round (docs/healer.md): it redelivers failed workflow_job deliveries and queues jobs GitHub reports queued whose delivery never arrived. With the default schedule (5 minutes) and 30, at most 360 an hour. 0 turns the healer off.",
      rules: [integerBetween(0, 1000)],
    },
    {
      name: "rerun_interrupted_jobs", type: "bool", default: true,
      description: "Re-run jobs that failed because their spot runner was reclaimed (spot interruption warning seen).",
    },
    {
      name: "reconcile_schedule_expression", type: "string", default: SHARED_INPUTS.reconcileScheduleExpression.default,
      description: "EventBridge schedule of the reconciler.",
      rules: [SHARED_INPUTS.reconcileScheduleExpression.rule],
    },
    {
      name: "runners_table_point_in_time_recovery", type: "bool", default: false,
      description: "Enable point-in-time recovery on the runners table.",
    },
    {
      name: "job_ledger_point_in_time_recovery", type: "bool", default: false,
      description: "Enable point-in-time recovery on the job ledger table.",
    },
  ],
};
