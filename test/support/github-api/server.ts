// A small stand-in for the GitHub REST API on loopback: the issue-comment endpoints a pull-request comment
// uses, with token auth, pagination by Link header, and every request recorded for the tests to read.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization?: string;
  body?: unknown;
}

export interface IssueComment {
  id: number;
  body: string;
  user: { login: string; type: string };
  html_url: string;
  created_at: string;
  updated_at: string;
}

export interface GitHubApiOptions {
  /** The only token accepted; other requests answer 401 as GitHub does. */
  token: string;
  /** Comments per page unless `per_page` asks otherwise (GitHub: 30, at most 100). */
  maxPerPage?: number;
}

export interface GitHubApiStandIn {
  url: string;
  requests: RecordedRequest[];
  /** The comments of one issue / pull request, oldest first. */
  comments(owner: string, repo: string, number: number): IssueComment[];
  /** Someone else's comment, already there before a run. */
  addComment(owner: string, repo: string, number: number, body: string, login?: string): IssueComment;
  /** From now on every request answers this status (e.g. 403 for a token without write permission). */
  failWith(status: number, message: string): void;
  close(): Promise<void>;
}

type Reply = { status: number; body: unknown; headers?: Record<string, string> };

const DOCS = 'https://docs.github.com/rest';

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? undefined : JSON.parse(text);
}

function send(response: ServerResponse, reply: Reply): void {
  response.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', ...reply.headers });
  response.end(JSON.stringify(reply.body));
}

function bodyText(body: unknown): string | undefined {
  const text = (body as { body?: unknown } | undefined)?.body;
  return typeof text === 'string' ? text : undefined;
}

export async function startGitHubApi(options: GitHubApiOptions): Promise<GitHubApiStandIn> {
  const threads = new Map<string, IssueComment[]>();
  const requests: RecordedRequest[] = [];
  let nextId = 1000;
  let failure: { status: number; message: string } | undefined;
  let baseUrl = '';

  const thread = (owner: string, repo: string, number: number): IssueComment[] => {
    const key = `${owner}/${repo}#${number}`;
    if (!threads.has(key)) threads.set(key, []);
    return threads.get(key) ?? [];
  };
  const create = (owner: string, repo: string, number: number, body: string, login: string) => {
    const now = new Date().toISOString();
    const id = nextId++;
    const comment: IssueComment = {
      id,
      body,
      user: { login, type: login.endsWith('[bot]') ? 'Bot' : 'User' },
      html_url: `https://github.com/${owner}/${repo}/pull/${number}#issuecomment-${id}`,
      created_at: now,
      updated_at: now,
    };
    thread(owner, repo, number).push(comment);
    return comment;
  };

  function listComments(owner: string, repo: string, number: number, url: URL): Reply {
    const all = thread(owner, repo, number);
    const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30), options.maxPerPage ?? 100);
    const page = Number(url.searchParams.get('page') ?? 1);
    const lastPage = Math.max(1, Math.ceil(all.length / perPage));
    const headers: Record<string, string> = {};
    if (page < lastPage) {
      const next = new URL(url.pathname, baseUrl);
      next.searchParams.set('per_page', String(perPage));
      next.searchParams.set('page', String(page + 1));
      headers.link = `<${next.href}>; rel="next"`;
    }
    return { status: 200, body: all.slice((page - 1) * perPage, page * perPage), headers };
  }

  /** GitHub's own bound on an issue comment's body, answered as GitHub answers it. */
  function tooLong(text: string | undefined): Reply | undefined {
    if (text === undefined || [...text].length <= 65_536) return undefined;
    return {
      status: 422,
      body: {
        message: 'Validation Failed',
        errors: [
          {
            resource: 'IssueComment',
            code: 'custom',
            field: 'body',
            message: 'body is too long (maximum is 65536 characters)',
          },
        ],
        documentation_url: DOCS,
      },
    };
  }

  function route(method: string, url: URL, body: unknown): Reply {
    const refused = method === 'GET' ? undefined : tooLong(bodyText(body));
    if (refused) return refused;
    const issueComments = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/.exec(url.pathname);
    if (issueComments) {
      const [, owner = '', repo = '', number = '0'] = issueComments;
      if (method === 'GET') return listComments(owner, repo, Number(number), url);
      const text = bodyText(body);
      if (method === 'POST' && text !== undefined)
        return { status: 201, body: create(owner, repo, Number(number), text, 'github-actions[bot]') };
    }
    const oneComment = /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/.exec(url.pathname);
    if (oneComment && method === 'PATCH') {
      const comment = [...threads.values()].flat().find(({ id }) => id === Number(oneComment[3]));
      const text = bodyText(body);
      if (comment && text !== undefined) {
        comment.body = text;
        comment.updated_at = new Date().toISOString();
        return { status: 200, body: comment };
      }
    }
    return { status: 404, body: { message: 'Not Found', documentation_url: DOCS } };
  }

  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', baseUrl);
      const body = await readJson(request);
      requests.push({
        method: request.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        authorization: request.headers.authorization,
        body,
      });
      if (failure) return send(response, { status: failure.status, body: { message: failure.message } });
      const token = request.headers.authorization?.replace(/^(token|Bearer) /, '');
      if (token !== options.token)
        return send(response, { status: 401, body: { message: 'Bad credentials', documentation_url: DOCS } });
      send(response, route(request.method ?? 'GET', url, body));
    })().catch((error: unknown) => send(response, { status: 500, body: { message: String(error) } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: baseUrl,
    requests,
    comments: (owner, repo, number) => thread(owner, repo, number),
    addComment: (owner, repo, number, body, login = 'octocat') => create(owner, repo, number, body, login),
    failWith: (status, message) => {
      failure = { status, message };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
