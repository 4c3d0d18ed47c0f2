// The 1,000-route case of section 3 alone (`npx tsx bench/routes-growth.ts [rounds]`), for profiling and for
// a quick paired figure while working on it: plan + apply on a VirtualService of 1, 100 and 1,000 routes,
// interleaved in rounds through one worker, each ratio taken against the 1-route stage of the same round.
// Profile the worker with BENCH_WORKER_FLAGS='--cpu-prof --cpu-prof-dir=/tmp/prof', the stand-in (this
// process) with `node --cpu-prof --import tsx bench/routes-growth.ts`.
import { loadavg } from 'node:os';
import { routesCases } from './scale.js';
import { msSpread, ratioSpread, table } from './support/stats.js';

const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

const rounds = Number(process.argv[2] ?? 30);
const from = load();
const cases = await routesCases([1, 100, 1000], rounds);
console.log(
  table(
    ['case', 'one stage (median, IQR)', '/ 1-route stage, paired (median, IQR)'],
    cases.map((c) => [`${c.size} routes`, msSpread(c.wall), ratioSpread(c.growth)]),
  ),
);
console.log(`\n${rounds} rounds; load average ${from} at the start, ${load()} at the end`);
process.exit(0); // keep-alive sockets of the runs must not hold the process
