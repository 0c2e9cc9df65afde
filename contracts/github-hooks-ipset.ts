import { GITHUB_APP_ENV, POWERTOOLS_ENV } from "./common.js";
import { oneOf, required, string } from "./env.js";

export const IP_SET_SCOPES = ["REGIONAL", "CLOUDFRONT"] as const;

/** The WAF allowlist updater's environment (lambdas/github-hooks-ipset, stacks/webhook-firewall.ts). */
export const GITHUB_HOOKS_IPSET_ENV = {
  ...POWERTOOLS_ENV,
  githubApiUrl: { ...GITHUB_APP_ENV.githubApiUrl, doc: "GitHub REST API root: its `GET /meta` (no credentials) lists the `hooks` ranges" },
  ipSetScope: required("IP_SET_SCOPE", oneOf(IP_SET_SCOPES), "the IP sets' WAFv2 scope", "REGIONAL"),
  ipv4SetName: required("IPV4_SET_NAME", string, "the allowlist's IPv4 set", "sr-github-hooks-ipv4"),
  ipv4SetId: required("IPV4_SET_ID", string, "its id", "11111111-2222-3333-4444-555555555555"),
  ipv6SetName: required("IPV6_SET_NAME", string, "the allowlist's IPv6 set", "sr-github-hooks-ipv6"),
  ipv6SetId: required("IPV6_SET_ID", string, "its id", "66666666-7777-8888-9999-000000000000"),
} as const;
