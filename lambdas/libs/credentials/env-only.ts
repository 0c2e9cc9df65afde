import { fromEnv } from "@aws-sdk/credential-provider-env";
import type { FromEnvInit } from "@aws-sdk/credential-provider-env";
import { memoize } from "@smithy/core/config";
import type { AwsCredentialIdentity } from "@smithy/types";

/** credential-provider-node's `credentialsTreatedAsExpired`: refreshed 5 minutes before they expire. */
const treatedAsExpired = (credentials: AwsCredentialIdentity) => credentials.expiration !== undefined && credentials.expiration.getTime() - Date.now() < 300_000;
/** credential-provider-node's `credentialsWillNeedRefresh`. */
const willNeedRefresh = (credentials: AwsCredentialIdentity) => credentials.expiration !== undefined;

/**
 * Stands in for `@aws-sdk/credential-provider-node` in the layer-free bundles (an esbuild alias in scripts/lib/bundle.ts):
 * Lambda always hands a function its role's credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
 * AWS_SESSION_TOKEN, so the rest of the default chain (SSO, INI files, web identity, IMDS and the STS/SSO
 * clients they bundle, about 80 KB minified) is dead code there. Memoized as the chain it replaces is
 * (the SDK clients do not memoize a default provider themselves): without it every signed call read
 * six environment variables and built a new credentials object.
 */
export const defaultProvider = (init?: FromEnvInit): ReturnType<typeof fromEnv> => memoize(fromEnv(init), treatedAsExpired, willNeedRefresh);
