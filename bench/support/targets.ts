// The closing table of `npm run bench`: each section names its targets with the figure measured and whether
// it is met; bench/run.ts prints them all at the end.
import { table } from './stats.js';

export interface Target {
  target: string;
  measured: string;
  met: boolean;
}

export function targetsTable(targets: Target[]): string {
  return [
    '## Targets',
    '',
    table(
      ['target', 'measured', ''],
      targets.map((t) => [t.target, t.measured, t.met ? 'met' : 'missed']),
    ),
    '',
    `${targets.filter((t) => t.met).length} of ${targets.length} met.`,
  ].join('\n');
}
