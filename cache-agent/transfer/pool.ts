/**
 * Runs `work(i)` for i in [0, count) with at most `concurrency` at a time, results in order; the first
 * failure rejects. Hand-written: eight lines, and no dependency is worth it here.
 */
export async function mapBounded<T>(count: number, concurrency: number, work: (index: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      results[index] = await work(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, concurrency), count) }, worker));
  return results;
}
