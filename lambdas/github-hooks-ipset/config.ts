import { GITHUB_HOOKS_IPSET_ENV } from "../../contracts/github-hooks-ipset.js";
import { parseEnv } from "../shared/index.js";
import type { IpSetRef } from "./adapters/wafv2.js";

export interface HooksIpSetConfig {
  /** REST API root whose `GET /meta` lists the webhook source ranges. */
  readonly apiUrl: string;
  readonly ipv4: IpSetRef;
  readonly ipv6: IpSetRef;
}

export function hooksIpSetConfigFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): HooksIpSetConfig {
  const parsed = parseEnv(GITHUB_HOOKS_IPSET_ENV, env);
  const scope = parsed.ipSetScope;
  return {
    apiUrl: parsed.githubApiUrl,
    ipv4: { name: parsed.ipv4SetName, id: parsed.ipv4SetId, scope },
    ipv6: { name: parsed.ipv6SetName, id: parsed.ipv6SetId, scope },
  };
}
