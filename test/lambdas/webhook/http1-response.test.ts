import { describe, expect, it } from "vitest";
import { Http1ParseError, Http1ResponseParser } from "../../../lambdas/webhook/adapters/http1-response.js";
import type { Http1Response } from "../../../lambdas/webhook/adapters/http1-response.js";

// The webhook's HTTP/1.1 response reader (adapters/http1-response.ts): whatever pieces the socket
// delivers, the same response; framing by content-length, chunked coding or the connection's end.

/** Feeds `text` in pieces of `size` bytes; the response, or undefined when it never completed. */
function feed(text: string | Buffer, size = Number.POSITIVE_INFINITY, parser = new Http1ResponseParser()): Http1Response | undefined {
  const bytes = typeof text === "string" ? Buffer.from(text, "latin1") : text;
  let response: Http1Response | undefined;
  for (let at = 0; at < bytes.byteLength; at += Math.min(size, bytes.byteLength)) {
    const piece = bytes.subarray(at, Math.min(at + size, bytes.byteLength));
    const result = parser.push(piece);
    if (result !== undefined) {
      expect(response, "a response completes once").toBeUndefined();
      response = result;
    }
  }
  return response;
}

const LENGTH = "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\nx-amzn-RequestId: R1\r\nContent-Length: 13\r\n\r\n{\"Items\":[1]}";
const CHUNKED = "HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\nX-Amzn-ErrorType: ThrottlingException\r\n\r\n5;ext=1\r\n{\"__t\r\n9\r\nype\":\"X\"}\r\n0\r\nx-trailer: 1\r\n\r\n";

describe("Http1ResponseParser", () => {
  it("reads a content-length response whole or byte by byte, with lower-case header names", () => {
    for (const size of [Number.POSITIVE_INFINITY, 1, 7]) {
      const response = feed(LENGTH, size);
      expect(response?.statusCode).toBe(200);
      expect(response?.headers).toEqual({ "content-type": "application/x-amz-json-1.0", "x-amzn-requestid": "R1", "content-length": "13" });
      expect(response?.body.toString()).toBe('{"Items":[1]}');
      expect(response?.reusable).toBe(true);
    }
  });

  it("reads a chunked body with chunk extensions and trailers, in any pieces", () => {
    for (const size of [Number.POSITIVE_INFINITY, 1, 3, 16]) {
      const response = feed(CHUNKED, size);
      expect(response?.statusCode).toBe(400);
      expect(response?.headers["x-amzn-errortype"]).toBe("ThrottlingException");
      expect(response?.body.toString()).toBe('{"__type":"X"}');
      expect(response?.reusable).toBe(true);
    }
  });

  it("waits for the empty line after the last chunk", () => {
    expect(feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n")).toBeUndefined();
    expect(feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n")?.body.toString()).toBe("{}");
  });

  it("keeps UTF-8 split across pieces intact", () => {
    const body = Buffer.from('{"m":"é€😀"}', "utf8");
    const bytes = Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\ncontent-length: ${body.byteLength}\r\n\r\n`), body]);
    expect(feed(bytes, 1)?.body.toString("utf8")).toBe('{"m":"é€😀"}');
  });

  it("skips informational heads before the response", () => {
    const response = feed(`HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n${LENGTH}`, 5);
    expect(response?.statusCode).toBe(200);
    expect(response?.body.toString()).toBe('{"Items":[1]}');
  });

  it("answers 204 and 304 without a body", () => {
    expect(feed("HTTP/1.1 204 No Content\r\n\r\n")).toMatchObject({ statusCode: 204, reusable: true });
    expect(feed("HTTP/1.1 204 No Content\r\n\r\n")?.body.byteLength).toBe(0);
  });

  it("does not reuse a connection the server closes, an HTTP/1.0 one, or one with stray bytes", () => {
    expect(feed(LENGTH.replace("x-amzn", "Connection: keep-alive, Close\r\nx-amzn"))?.reusable).toBe(false);
    expect(feed(LENGTH.replace("HTTP/1.1", "HTTP/1.0"))?.reusable).toBe(false);
    expect(feed(`${LENGTH}HTTP/1.1`)?.reusable).toBe(false);
    expect(feed(LENGTH.replace("x-amzn", "Connection: keep-alive\r\nx-amzn"))?.reusable).toBe(true);
  });

  it("reads an unframed body to the connection's end, and reports a framed one cut short as unfinished", () => {
    const unframed = new Http1ResponseParser();
    expect(feed("HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/html\r\n\r\n<html>", 4, unframed)).toBeUndefined();
    expect(unframed.end()).toMatchObject({ statusCode: 502, reusable: false });
    expect(unframed.end()?.body.toString()).toBe("<html>");

    const cut = new Http1ResponseParser();
    expect(feed(LENGTH.slice(0, -3), Number.POSITIVE_INFINITY, cut)).toBeUndefined();
    expect(cut.end()).toBeUndefined();
    expect(new Http1ResponseParser().end()).toBeUndefined();
  });

  it("joins repeated header fields with a comma, as Node does", () => {
    expect(feed("HTTP/1.1 200 OK\r\nVia: a\r\nvia: b\r\ncontent-length: 0\r\n\r\n")?.headers.via).toBe("a, b");
  });

  it.each([
    ["a status line that is not HTTP/1.x", "HTTP/2 200\r\n\r\n", "HPE_INVALID_CONSTANT"],
    ["a header line without a name", "HTTP/1.1 200 OK\r\n: x\r\n\r\n", "HPE_INVALID_HEADER_TOKEN"],
    ["a content-length that is not a number", "HTTP/1.1 200 OK\r\ncontent-length: 1e3\r\n\r\n", "HPE_INVALID_CONTENT_LENGTH"],
    ["a chunk size that is not hex", "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n", "HPE_INVALID_CHUNK_SIZE"],
    ["chunk data longer than its size", "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1\r\nab\r\n", "HPE_STRICT"],
    ["a head longer than 16 KiB", `HTTP/1.1 200 OK\r\nx: ${"a".repeat(17 * 1024)}`, "HPE_HEADER_OVERFLOW"],
  ])("fails on %s", (_name, text, code) => {
    expect(() => feed(text)).toThrow(Http1ParseError);
    expect(() => feed(text)).toThrow(expect.objectContaining({ code }));
  });
});
