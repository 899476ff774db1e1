import { request } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';

export interface RawRequestOptions {
  /** 'POST' unless given. */
  method?: string;
  path: string;
  headers?: Record<string, string | number>;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The body as UTF-8. */
  text: string;
}

/**
 * One HTTP request to 127.0.0.1 on a connection of its own, with no retries and
 * no client-side opinions (unlike fetch, it sends any method, header or body as
 * given), so a receiver's own answer to it can be checked.
 */
export function rawRequest(
  port: number,
  options: RawRequestOptions,
  body?: Buffer | Uint8Array | string,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'POST',
        path: options.path,
        headers: options.headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const all = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: all,
            text: all.toString('utf8'),
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
