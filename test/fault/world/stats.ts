/** What the world counts while it runs, for the report's details (world.ts). */
export function newWorldStats() {
  return {
    webhooks: 0,
    webhookStatuses: new Map<number, number>(),
    /** Webhook answers by message ("queued", "duplicate: job is launched", ...). */
    webhookAnswers: new Map<string, number>(),
    spotOutcomes: [] as unknown[],
    scaleUpInvocations: 0,
    scaleUpErrors: 0,
    killed: new Map<string, number>(),
    timeouts: 0,
    reconcileRuns: 0,
    reconcileErrors: 0,
    reconcileSummaries: [] as unknown[],
    spotWarnings: 0,
    esmFailures: 0,
    esmSettlement: { invalidResponses: 0, heldBackInGroup: 0, staleDeletes: 0 },
    skippedDeletes: 0,
    busyTerminated: [] as Array<{ instanceId: string; jobId: number | undefined; by: string; at: number }>,
    maxInvocationSeconds: 0,
    /** Most instances pending or running at once, overall and per pool. */
    peakLive: 0,
    peakLivePerPool: new Map<string, number>(),
    /** Flood requests that passed the ingress model (the function would answer them 401). */
    junkReachedFunction: 0,
  };
}

export type WorldStats = ReturnType<typeof newWorldStats>;

/** The world's log and scripted events, as the parts of the world see them. */
export interface Timeline {
  note(line: string): void;
  /** Runs `run` when the simulation reaches `offsetMs` after the start. */
  at(offsetMs: number, run: () => void | Promise<void>): void;
}
