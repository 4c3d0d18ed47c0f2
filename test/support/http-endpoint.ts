// A local HTTP endpoint answering every request with the status a test chooses (the canary's probe URL).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HttpEndpoint {
  url: string;
  close(): Promise<void>;
}

/** `status(n)` answers the n-th request (1-based). */
export async function endpoint(status: (count: number) => number): Promise<HttpEndpoint> {
  let count = 0;
  const http: Server = createServer((_req, res) => {
    count += 1;
    res.writeHead(status(count)).end();
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/reviews`,
    close: () => new Promise<void>((resolve) => http.close(() => resolve())),
  };
}
