import { keyAfter, keyValueProtocol } from "./key-value.js";
import { sendJson, type ProtocolContext, type ProtocolHandler } from "./route.js";

// Each tool's entries get the protocol's own version string: the function also namespaces by protocol,
// this keeps two tools' identical hashes apart even so.

/**
 * Turborepo's remote cache API (v8): artifacts by hash (GET, HEAD, PUT), the status probe, and usage
 * events (accepted, dropped). `teamId`/`slug` are ignored: the scope comes from the runner's identity.
 */
export function turborepoProtocol(context: ProtocolContext): ProtocolHandler {
  const artifacts = keyValueProtocol(
    {
      protocol: "turborepo",
      address: (pathname) => {
        const hash = keyAfter(pathname, "/v8/artifacts/");
        return hash === undefined || hash.includes("/") || hash === "status" || hash === "events" ? undefined : { key: hash, version: "turborepo-v8" };
      },
      // Vercel answers an artifact upload with 202 Accepted.
      putStatus: 202,
    },
    context,
  );
  return {
    protocol: "turborepo",
    async handle(request, response, url) {
      if (url.pathname === "/v8/artifacts/status" && request.method === "GET") {
        sendJson(response, 200, { status: "enabled" });
        return true;
      }
      if (url.pathname === "/v8/artifacts/events" && request.method === "POST") {
        request.resume();
        sendJson(response, 200, {});
        return true;
      }
      return artifacts.handle(request, response, url);
    },
  };
}

/** Nx's self-hosted remote cache (`NX_SELF_HOSTED_REMOTE_CACHE_SERVER`): `GET`/`PUT /v1/cache/:hash`, a tarball each. */
export function nxProtocol(context: ProtocolContext): ProtocolHandler {
  return keyValueProtocol(
    {
      protocol: "nx",
      address: (pathname) => {
        const hash = keyAfter(pathname, "/v1/cache/");
        return hash === undefined || hash.includes("/") ? undefined : { key: hash, version: "nx-v1" };
      },
    },
    context,
  );
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Bazel's HTTP remote cache: `/ac/:hash` (action results) and `/cas/:sha256` (content, checked against its name). */
export function bazelProtocol(context: ProtocolContext): ProtocolHandler {
  return keyValueProtocol(
    {
      protocol: "bazel",
      address: (pathname) => {
        for (const store of ["ac", "cas"] as const) {
          const hash = keyAfter(pathname, `/${store}/`);
          if (hash === undefined || hash.includes("/")) continue;
          return { key: hash, version: `bazel-${store}`, ...(store === "cas" && SHA256_HEX.test(hash) ? { expectedDigest: hash } : {}) };
        }
        return undefined;
      },
    },
    context,
  );
}

/** Gradle's HTTP build cache connector: `GET`/`PUT /cache/:key`. */
export function gradleProtocol(context: ProtocolContext): ProtocolHandler {
  return keyValueProtocol(
    {
      protocol: "gradle",
      address: (pathname) => {
        const key = keyAfter(pathname, "/cache/");
        return key === undefined || key.includes("/") ? undefined : { key, version: "gradle" };
      },
    },
    context,
  );
}

/** Plain HTTP (`/http/<any/path>`, GET/HEAD/PUT): for ccache's and sccache's HTTP/WebDAV back ends and scripts. */
export function plainHttpProtocol(context: ProtocolContext): ProtocolHandler {
  return keyValueProtocol(
    {
      protocol: "http",
      address: (pathname) => {
        const key = keyAfter(pathname, "/http/");
        return key === undefined ? undefined : { key, version: "http" };
      },
    },
    context,
  );
}
