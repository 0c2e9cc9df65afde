/** A whole HTTP/1.1 response: status, headers (lower-case names) and the body's bytes. */
export interface Http1Response {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** The connection may carry the next request: HTTP/1.1, no `connection: close`, a framed body, no stray bytes. */
  readonly reusable: boolean;
}

/** A response the parser cannot read, with a `code` in the style of Node's own parser errors (HPE_*). */
export class Http1ParseError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "Http1ParseError";
    this.code = code;
  }
}

/** Heads longer than this are refused (Node's default `maxHeaderSize` is 16 KiB). */
const MAX_HEAD_BYTES = 16 * 1024;
const CRLF = "\r\n";

type Framing = { readonly kind: "length"; readonly length: number } | { readonly kind: "chunked" } | { readonly kind: "close" };

interface Head {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly persistent: boolean;
  readonly framing: Framing;
}

/**
 * Reads one HTTP/1.1 response (RFC 9112) from the bytes of a socket, fed in whatever pieces they
 * arrive: informational (1xx) heads skipped, the body framed by `content-length`, `chunked` transfer
 * coding (extensions and trailers ignored) or the connection's end. Pure: no I/O.
 */
export class Http1ResponseParser {
  private buffer: Buffer | undefined;
  private head: Head | undefined;
  /** Chunked bodies: where the next chunk-size line starts, and the chunks' data so far. */
  private offset = 0;
  private readonly parts: Buffer[] = [];

  /** Adds bytes; returns the response once it is whole. Throws Http1ParseError on a malformed response. */
  push(chunk: Buffer): Http1Response | undefined {
    this.buffer = this.buffer === undefined ? chunk : Buffer.concat([this.buffer, chunk]);
    while (this.head === undefined) {
      const end = this.buffer.indexOf("\r\n\r\n");
      if (end < 0) {
        if (this.buffer.byteLength > MAX_HEAD_BYTES) throw new Http1ParseError("HPE_HEADER_OVERFLOW", "response head too large");
        return undefined;
      }
      if (end > MAX_HEAD_BYTES) throw new Http1ParseError("HPE_HEADER_OVERFLOW", "response head too large");
      const head = parseHead(this.buffer.toString("latin1", 0, end));
      this.buffer = this.buffer.subarray(end + 4);
      // 101 would switch protocols, which nothing here asks for; other 1xx heads precede the real one.
      if (head.statusCode >= 100 && head.statusCode < 200 && head.statusCode !== 101) continue;
      this.head = head;
    }
    return this.body(this.head);
  }

  /** The connection ended: the response if its body runs to the end, else undefined (it was cut short). */
  end(): Http1Response | undefined {
    if (this.head?.framing.kind !== "close") return undefined;
    return { statusCode: this.head.statusCode, headers: this.head.headers, body: this.buffer ?? Buffer.alloc(0), reusable: false };
  }

  private body(head: Head): Http1Response | undefined {
    const buffer = this.buffer as Buffer;
    const done = (body: Buffer, rest: number) => ({ statusCode: head.statusCode, headers: head.headers, body, reusable: head.persistent && rest === 0 });
    if (head.framing.kind === "length") {
      const { length } = head.framing;
      return buffer.byteLength < length ? undefined : done(buffer.subarray(0, length), buffer.byteLength - length);
    }
    if (head.framing.kind === "close") return undefined;
    for (;;) {
      const lineEnd = buffer.indexOf(CRLF, this.offset);
      if (lineEnd < 0) return undefined;
      const sizeText = buffer.toString("latin1", this.offset, lineEnd).split(";")[0]!.trim();
      if (!/^[0-9a-fA-F]{1,8}$/.test(sizeText)) throw new Http1ParseError("HPE_INVALID_CHUNK_SIZE", `invalid chunk size "${sizeText.slice(0, 20)}"`);
      const size = Number.parseInt(sizeText, 16);
      if (size === 0) {
        // The last chunk, then trailer lines (ignored) and an empty line.
        const trailerEnd = buffer.indexOf(CRLF, lineEnd + 2) === lineEnd + 2 ? lineEnd + 4 : buffer.indexOf("\r\n\r\n", lineEnd + 2) + 4;
        if (trailerEnd < 4 || trailerEnd > buffer.byteLength) return undefined;
        return done(this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts), buffer.byteLength - trailerEnd);
      }
      const dataEnd = lineEnd + 2 + size;
      if (buffer.byteLength < dataEnd + 2) return undefined;
      if (buffer.toString("latin1", dataEnd, dataEnd + 2) !== CRLF) throw new Http1ParseError("HPE_STRICT", "chunk data not followed by CRLF");
      this.parts.push(buffer.subarray(lineEnd + 2, dataEnd));
      this.offset = dataEnd + 2;
    }
  }
}

function parseHead(text: string): Head {
  const lines = text.split(CRLF);
  const status = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(lines[0] ?? "");
  if (status === null) throw new Http1ParseError("HPE_INVALID_CONSTANT", `not an HTTP/1.x status line: "${(lines[0] ?? "").slice(0, 40)}"`);
  const statusCode = Number(status[2]);
  const headers: Record<string, string> = {};
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(":");
    if (colon <= 0) throw new Http1ParseError("HPE_INVALID_HEADER_TOKEN", "malformed header line");
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    // Repeated fields join with ", " as Node's IncomingMessage joins most of them.
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  const framing = framingOf(statusCode, headers);
  const closes = /(?:^|,)\s*close\s*(?:,|$)/i.test(headers.connection ?? "");
  return { statusCode, headers, framing, persistent: status[1] === "1" && !closes && framing.kind !== "close" };
}

/** RFC 9112 section 6.3: no body for 204 and 304, then chunked, then content-length, else to the end. */
function framingOf(statusCode: number, headers: Record<string, string>): Framing {
  if (statusCode === 204 || statusCode === 304 || (statusCode >= 100 && statusCode < 200)) return { kind: "length", length: 0 };
  const coding = headers["transfer-encoding"];
  if (coding !== undefined) {
    if (/(?:^|,)\s*chunked\s*$/i.test(coding)) return { kind: "chunked" };
    return { kind: "close" };
  }
  const length = headers["content-length"];
  if (length === undefined) return { kind: "close" };
  if (!/^\d{1,15}$/.test(length)) throw new Http1ParseError("HPE_INVALID_CONTENT_LENGTH", `invalid content-length "${length.slice(0, 20)}"`);
  return { kind: "length", length: Number(length) };
}
