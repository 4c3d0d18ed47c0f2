// The several-clusters benchmark on tiny sizes: every stage succeeds, each wave is paired with a
// single-cluster stage of the same round, the early rounds are reported apart, and the report states the
// target. No timing is asserted.
import { expect, test } from '@jest/globals';
import { benchClusters, clustersReport } from '../../bench/clusters.js';

test('a wave of 1 and of 2 clusters beside one cluster, paired by round', async () => {
  const figures = await benchClusters([1, 2], 2, 0, 8);
  expect(figures.errors).toEqual([]);
  expect(figures.waves.map((wave) => wave.size)).toEqual([1, 2]);
  for (const wave of figures.waves) {
    expect(wave.medianMs).toBeGreaterThan(0);
    expect(wave.cpuMs).toBeGreaterThan(0);
    // The stand-ins answered every stage in the bench's process: their CPU time is read at its edges.
    expect(wave.standInCpuMs).toBeGreaterThan(0);
    expect(wave.minRatio).toBeLessThanOrEqual(wave.medianRatio);
    expect(wave.medianRatio).toBeLessThanOrEqual(wave.maxRatio);
  }
  // Stages back to back in one process take the connections of the stages before (src/kube/pool.ts).
  expect(figures.waves.map((wave) => wave.connections)).toEqual([0, 0]);
  expect(figures.singleConnections).toBe(0);
  // Rounds 7 and 8 of the warm-up, reported apart.
  expect(figures.early).toMatchObject({ fromRound: 7, toRound: 8, size: 2 });
  expect(figures.early?.medianRatio).toBeGreaterThan(0);
  expect(figures.singleCpuMs).toBeGreaterThan(0);
  expect(figures.singleStandInCpuMs).toBeGreaterThan(0);
  const report = clustersReport(figures);
  expect(report).toContain('| 2 |');
  expect(report).toContain('2 paired rounds after 8');
  expect(report).toMatch(/Earlier, in rounds 7–8, the wave of 2 read \d+\.\d\d×/);
  expect(report).toMatch(
    /- Target: a wave of 10 clusters at 0 ms RTT within 1\.5× one cluster's stage: 2 clusters/,
  );
}, 240_000);
