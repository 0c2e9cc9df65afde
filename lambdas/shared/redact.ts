/**
 * Redaction for log records: a JSON replacer that keeps secrets out of CloudWatch Logs even when an
 * error object carries them (an Octokit error with a request, an SDK error with an input, a JIT config
 * in a response). Fields are fixed strings elsewhere, so this is a second line of defence.
 */

/** What replaces a redacted value. */
export const REDACTED = "[REDACTED]";

/** Field names (compared case-insensitively, ignoring '-' and '_') whose values are never logged. */
const SECRET_KEYS = new Set(
  [
    "authorization",
    "x-hub-signature-256",
    "x-hub-signature",
    "jitconfig",
    "encoded_jit_config",
    "privatekey",
    "private_key",
    "webhooksecret",
    "secret",
    "token",
    "access_token",
    "client_secret",
    "password",
  ].map(normalizeKey),
);

/** Secret-looking text inside any string: PEM private keys, GitHub tokens, JWTs, bearer credentials. */
const SECRET_PATTERNS: readonly RegExp[] = [
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g,
  /\b(gh[opsu]_[A-Za-z0-9]{20,}|ghr_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})\b/g,
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g,
  /\b(bearer|token)\s+[A-Za-z0-9._~+/=-]{16,}/gi,
];

function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[-_]/g, "");
}

/** A string with every secret-looking part replaced. */
export function redactText(text: string): string {
  return SECRET_PATTERNS.reduce((out, pattern) => out.replace(pattern, REDACTED), text);
}

/** JSON replacer for Powertools Logger (`jsonReplacerFn`): redacts by field name, then by content. */
export function redactSecrets(key: string, value: unknown): unknown {
  if (key !== "" && SECRET_KEYS.has(normalizeKey(key)) && value !== undefined && value !== null && value !== "") return REDACTED;
  return typeof value === "string" ? redactText(value) : value;
}
