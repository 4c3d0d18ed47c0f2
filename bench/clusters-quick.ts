// Section 6 alone (several clusters), for a quick look: npx tsx bench/clusters-quick.ts [rounds] [sizes...]
import { benchClusters, clustersReport } from './clusters.js';

const rounds = Number(process.argv[2] ?? 6);
const sizes = process.argv.slice(3).map(Number);
console.log(clustersReport(await benchClusters(sizes.length > 0 ? sizes : [1, 3, 10], rounds)));
