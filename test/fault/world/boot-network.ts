/**
 * What runner instances do on the network while their bootstrap runs, behind one NAT address: the
 * anonymous GitHub calls each boot makes (measured from the real script, test/fault/nat-boots.test.ts)
 * against GitHub's limit for unauthenticated callers, 60 requests an hour per source address (FACTS.md,
 * GitHub Docs "Rate limits for the REST API"). A boot whose call is refused fails: with `set -e` the
 * script exits into its shutdown trap, and the runner is lost before it registers.
 */
export class NatBootNetwork {
  /** Anonymous GitHub calls the instances made through the NAT address (answered or refused). */
  gitHubCalls = 0;
  refused = 0;
  boots = 0;
  /** Instances whose bootstrap failed on a refused GitHub call. */
  readonly failedBoots: string[] = [];
  private readonly callTimes: number[] = [];

  constructor(
    private readonly gitHubCallsPerBoot: number,
    private readonly anonymousLimitPerHour = 60,
  ) {}

  /** One instance's bootstrap at `now`: false when GitHub refused one of its calls. */
  boot(instanceId: string, now: number): boolean {
    this.boots += 1;
    for (let call = 0; call < this.gitHubCallsPerBoot; call += 1) {
      this.gitHubCalls += 1;
      while (this.callTimes.length > 0 && (this.callTimes[0] as number) <= now - 3_600_000) this.callTimes.shift();
      if (this.callTimes.length >= this.anonymousLimitPerHour) {
        this.refused += 1;
        this.failedBoots.push(instanceId);
        return false;
      }
      this.callTimes.push(now);
    }
    return true;
  }
}
