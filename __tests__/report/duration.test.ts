import { formatDuration } from '../../src/report/duration.js';

test.each([
  [0, '0 ms'],
  [999, '999 ms'],
  [1000, '1.0 s'],
  [12345, '12.3 s'],
  [59_949, '59.9 s'],
  [125_000, '2 min 5 s'],
])('formatDuration(%d) = %s', (ms, text) => {
  expect(formatDuration(ms)).toBe(text);
});
