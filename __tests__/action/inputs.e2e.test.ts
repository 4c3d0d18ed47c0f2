// The bundled action on bad input: one error line naming cause and remedy, exit code 1, nothing leaked.
import { maskedValues, runAction, visibleLog } from '../../test/support/github-api/run-action.js';

const TOKEN = 'ghs_inputsTestToken0123456789abcdef';
const CLIENT_KEY = 'LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCmZha2Uta2V5LWZvci10ZXN0cwo=';
const BEARER = 'eyJhbGciOiJSUzI1NiJ9.c2VydmljZWFjY291bnQ.c2lnbmF0dXJl';
const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
  - name: test
    cluster:
      server: https://127.0.0.1:1
contexts:
  - name: test
    context: { cluster: test, user: ci }
current-context: test
users:
  - name: ci
    user:
      client-key-data: ${CLIENT_KEY}
      token: ${BEARER}
`;

const valid = { stage: 'shift', service: 'reviews', stable: 'v1', canary: 'v2', weight: '50' };

/** The runner turns `::error::` into the failure annotation: exactly one, on one line. */
function errorLines(stdout: string): string[] {
  return stdout.split('\n').filter((line) => line.startsWith('::error::'));
}

describe('the action on bad input', () => {
  test.each([
    [{}, 'stage is required: one of route, shift, promote, rollback, finalize, progressive, status', 'stage'],
    [{ ...valid, weight: '150' }, 'weight must be an integer 0–100, got "150"', 'weight'],
    [{ ...valid, summary: 'maybe' }, 'summary must be true or false, got "maybe"', 'summary'],
    [
      { ...valid, timeout: '600h' },
      `timeout must be a duration like 30, 30s, 2m or 1h, at most 6h (a GitHub-hosted job's limit), got "600h"`,
      'timeout',
    ],
    [
      { ...valid, settle: '1000h' },
      `settle must be a duration like 30, 30s, 2m or 1h, at most 6h (a GitHub-hosted job's limit), got "1000h"`,
      'settle',
    ],
  ])('%j fails with one line, exit code 1 and a summary naming the input', async (inputs, message, input) => {
    const run = await runAction({ inputs });
    expect(errorLines(run.stdout)).toEqual([`::error::${message}`]);
    expect(run.code).toBe(1);
    expect(run.outputs).toEqual({});
    expect(run.summary).toBe(
      [
        '## istio-canary: invalid input',
        '',
        '> [!CAUTION]',
        `> ${message.replace(/"/g, '&quot;').replace(/'/g, '&#39;')}`,
        '',
        `Fix the input \`${input}\` of the step; nothing was read from or written to the cluster.`,
        '',
      ].join('\n'),
    );
  });

  test('summary: false keeps the summary empty on bad input too', async () => {
    const run = await runAction({ inputs: { ...valid, weight: '150', summary: 'false' } });
    expect(run.code).toBe(1);
    expect(run.summary).toBe('');
  });

  test('masks the token and the kubeconfig credentials before printing anything, and never shows them', async () => {
    const run = await runAction({
      inputs: { ...valid, weight: '-1', kubeconfig: KUBECONFIG, 'github-token': TOKEN },
    });
    expect(run.code).toBe(1);
    const lines = run.stdout.split('\n').filter((line) => line !== '');
    const masks = maskedValues(run.stdout);
    expect(masks).toEqual(expect.arrayContaining([TOKEN, KUBECONFIG.trim(), CLIENT_KEY, BEARER]));
    expect(lines.slice(0, masks.length).every((line) => line.startsWith('::add-mask::'))).toBe(true);
    const shown = visibleLog(run);
    for (const secret of [TOKEN, CLIENT_KEY, BEARER]) expect(shown).not.toContain(secret);
    expect(errorLines(run.stdout)).toEqual(['::error::weight must be an integer 0–100, got "-1"']);
  });
});
