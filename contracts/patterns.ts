/**
 * Patterns that both sides need: the stacks check inputs with them at plan time (as JavaScript and as
 * Terraform's RE2 regexes) and the handlers parse the same values at run time. Plain strings and
 * RegExps, no imports: contracts/ depends on nothing.
 */

/**
 * One window of a warm pool schedule as lambdas/reconcile/warm.ts splits it on ";": days, then
 * HH:MM-HH:MM (captures: days, start hours, start minutes, end hours, end minutes). The parser then
 * checks the day names and the time ranges itself, to say which part is wrong.
 */
export const WARM_WINDOW_SHAPE = /^\s*(\*|[A-Za-z]{3}(?:-[A-Za-z]{3})?(?:,[A-Za-z]{3}(?:-[A-Za-z]{3})?)*)\s+(\d{2}):(\d{2})-(\d{2}):(\d{2})\s*$/;

// The strict form of the same grammar, for plan time: it accepts exactly what the parser accepts, day
// names and ranges included (a test compares the two on generated schedules). Whitespace is spelled
// out because RE2's \s is ASCII only; day names are case-insensitive as in the parser.
const SPACE = "[ \\t\\n\\v\\f\\r]";
const DAY = "([Ss][Uu][Nn]|[Mm][Oo][Nn]|[Tt][Uu][Ee]|[Ww][Ee][Dd]|[Tt][Hh][Uu]|[Ff][Rr][Ii]|[Ss][Aa][Tt])";
const DAYS = `(\\*|${DAY}(-${DAY})?(,${DAY}(-${DAY})?)*)`;
// 00:00-23:59, and 24:00 (the end of the day; the parser accepts it at either end).
const TIME = "(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)";
const WINDOW = `${SPACE}*${DAYS}${SPACE}+${TIME}-${TIME}${SPACE}*`;

/**
 * A whole warm pool schedule: empty (always open) or windows in UTC separated by ";", e.g.
 * "Mon-Fri 07:00-19:00" or "Sat,Sun 10:00-14:00; Mon-Fri 06:00-20:00". Days: `*`, a day (Mon), a
 * range (Mon-Fri, Fri-Mon wraps) or a list of them; times 00:00-23:59 or 24:00.
 */
export const WARM_SCHEDULE_PATTERN = `^(${SPACE}*|${WINDOW}(;${WINDOW})*)$`;

/** What a warm pool schedule may be, in words, for messages on both sides. */
export const WARM_SCHEDULE_ALLOWED =
  'empty (always) or UTC windows "<days> HH:MM-HH:MM" separated by ";", e.g. "Mon-Fri 07:00-19:00" (days: *, Sun..Sat, ranges such as Mon-Fri, lists such as Sat,Sun; times 00:00 to 23:59 or 24:00)';

/** A NAT failover probe target: checked at plan time (stacks/errors.ts RULES) and by lambdas/nat-failover. */
export const PROBE_TARGET_PATTERN = "^(https://[^\\s/]+(/\\S*)?|tcp://[^\\s/:]+:[0-9]{1,5})$";

/** What a probe target may be, in words, for messages on both sides. */
export const PROBE_TARGET_ALLOWED = "https://host[/path] (any HTTP answer counts) or tcp://host:port (a TCP connection counts)";
