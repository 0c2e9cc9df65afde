import { fromEnv } from "@aws-sdk/credential-provider-env";
import type { FromEnvInit } from "@aws-sdk/credential-provider-env";

/**
 * Stands in for `@aws-sdk/credential-provider-node` in the layer-free bundles (an esbuild alias in scripts/lib/bundle.ts):
 * Lambda always hands a function its role's credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
 * AWS_SESSION_TOKEN, so the rest of the default chain (SSO, INI files, web identity, IMDS and the STS/SSO
 * clients they bundle, about 80 KB minified) is dead code there.
 */
export const defaultProvider = (init?: FromEnvInit): ReturnType<typeof fromEnv> => fromEnv(init);
