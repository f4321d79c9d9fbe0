import type { IncomingMessage, ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';

import { ApiError } from './errors.js';

/** What a route handler answers. A reply without `body` has none (204) or koa's status text. */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const maxBodyBytes = 1024 * 1024;

export const readBody = async (req: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBodyBytes)
      throw new ApiError(413, 'request.payload_too_large', 'Request body is too large.');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
};

/**
 * The JSON body, or undefined when there is none. Like Logto's body parser (strict JSON), a body
 * that is not JSON, or JSON that is neither an object nor an array, is a 400 without `code`
 * (BEHAVIOUR.md, "Errors").
 */
export const parseJson = (raw: Buffer): unknown => {
  if (raw.length === 0) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8')) as unknown;
  } catch (error) {
    throw new ApiError(400, undefined, (error as Error).message);
  }
  if (value === null || typeof value !== 'object') {
    throw new ApiError(400, undefined, 'invalid JSON, only supports object and array');
  }
  return value;
};

export const writeReply = (res: ServerResponse, { status, body, headers = {} }: Reply): void => {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  if (body !== undefined) {
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  } else if (status === 204 || status === 304) {
    res.writeHead(status);
    res.end();
  } else {
    // Logto (koa) answers a body-less 200/201 with the status text, not JSON.
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(STATUS_CODES[status] ?? String(status));
  }
};

/** An answer as bytes: its status, every header, the body (sent with its `Content-Length`). */
export interface RawReply {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export const writeRawReply = (res: ServerResponse, { status, headers, body }: RawReply): void => {
  res.writeHead(status, { ...headers, 'Content-Length': String(body.length) });
  res.end(body);
};

export const errorReply = (error: ApiError): Reply => ({ status: error.status, body: error.toBody() });
