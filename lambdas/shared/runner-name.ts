/** EC2 instance ids: `i-` and 8 or 17 hex digits. */
const INSTANCE_ID = /^i-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;

/** Runner name = `<prefix>-<instanceId>` (docs/contracts.md). */
export function runnerName(prefix: string, instanceId: string): string {
  return `${prefix}-${instanceId}`;
}

/**
 * The instance id behind one of our runner names, or undefined when the name is not ours. The suffix
 * must be a whole instance id, so a kit with prefix `ci` does not claim the runners of a kit named `ci-x`.
 */
export function instanceIdFromRunnerName(prefix: string, name: string): string | undefined {
  const head = `${prefix}-`;
  if (!name.startsWith(head)) return undefined;
  const suffix = name.slice(head.length);
  return INSTANCE_ID.test(suffix) ? suffix : undefined;
}
