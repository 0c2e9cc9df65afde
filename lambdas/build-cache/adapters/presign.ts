/**
 * Presigned S3 URLs. Written by hand because @aws-sdk/s3-request-presigner is not a dependency of the
 * kit yet: this is that package's `getSignedUrl`, reduced to what the function needs (SigV4 query
 * signing, UNSIGNED-PAYLOAD, the client's own endpoint and serialization). Replace it with the package
 * once it is installed (docs/build-cache.md).
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { SignatureV4 } from "@smithy/signature-v4";

interface RequestLike {
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  query: Record<string, string | string[] | null>;
  headers: Record<string, string>;
}

interface PresignableCommand<I extends object> {
  readonly input: I;
  resolveMiddleware(stack: never, configuration: never, options: never): (args: { input: I }) => Promise<{ output: unknown }>;
}

/** RFC 3986 escaping, as SigV4's canonical query string uses it. */
function escapeUri(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function formatUrl(request: RequestLike): string {
  const query = Object.entries(request.query)
    .flatMap(([name, value]) => (value === null ? [escapeUri(name)] : (Array.isArray(value) ? value : [value]).map((v) => `${escapeUri(name)}=${escapeUri(v)}`)))
    .join("&");
  const port = request.port === undefined ? "" : `:${request.port}`;
  return `${request.protocol}//${request.hostname}${port}${request.path}${query === "" ? "" : `?${query}`}`;
}

/**
 * A presigned URL for `command` on `client`: the command is serialized by the client's own middleware
 * (endpoint, path style, query), then signed into the query string instead of being sent. The client
 * should compute checksums only when required, or the URL would sign checksum headers the agent never sends.
 */
export async function presignedUrl<I extends object>(client: S3Client, command: PresignableCommand<I>, expiresIn: number): Promise<string> {
  const config = client.config as unknown as { region: () => Promise<string>; credentials: ConstructorParameters<typeof SignatureV4>[0]["credentials"]; sha256: ConstructorParameters<typeof SignatureV4>[0]["sha256"] };
  const signer = new SignatureV4({ service: "s3", region: await config.region(), credentials: config.credentials, sha256: config.sha256, uriEscapePath: false, applyChecksum: false });
  const stack = client.middlewareStack.clone();
  stack.addRelativeTo(
    () => async (args: { request: unknown }) => {
      const request = args.request as RequestLike;
      for (const name of ["amz-sdk-invocation-id", "amz-sdk-request", "x-amz-user-agent"]) delete request.headers[name];
      request.headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD";
      request.headers.host = `${request.hostname}${request.port === undefined ? "" : `:${request.port}`}`;
      const presigned = (await signer.presign(request as never, { expiresIn, unsignableHeaders: new Set(["content-type"]) })) as unknown as RequestLike;
      return { response: {}, output: { $metadata: { httpStatusCode: 200 }, presigned } };
    },
    { name: "presignInterceptMiddleware", relation: "before", toMiddleware: "awsAuthMiddleware", override: true },
  );
  const handler = command.resolveMiddleware(stack as never, client.config as never, {} as never);
  const { output } = await handler({ input: command.input });
  return formatUrl((output as { presigned: RequestLike }).presigned);
}
