import { enumEnv, gitHubApiUrlFromEnv, requireEnv } from "../shared/index.js";
import type { IpSetRef } from "./adapters/wafv2.js";

export interface HooksIpSetConfig {
  /** REST API root whose `GET /meta` lists the webhook source ranges. */
  readonly apiUrl: string;
  readonly ipv4: IpSetRef;
  readonly ipv6: IpSetRef;
}

const SCOPES = ["REGIONAL", "CLOUDFRONT"] as const;

export function hooksIpSetConfigFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): HooksIpSetConfig {
  const scope = enumEnv("IP_SET_SCOPE", SCOPES, env);
  return {
    apiUrl: gitHubApiUrlFromEnv(env),
    ipv4: { name: requireEnv("IPV4_SET_NAME", env), id: requireEnv("IPV4_SET_ID", env), scope },
    ipv6: { name: requireEnv("IPV6_SET_NAME", env), id: requireEnv("IPV6_SET_ID", env), scope },
  };
}
