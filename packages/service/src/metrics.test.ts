import { describe, expect, it } from 'vitest';
import { createMetricsRegistry, scrapedCounter, scrapedGauge } from './metrics.js';

const sample = async (registry: ReturnType<typeof createMetricsRegistry>, name: string): Promise<string> => {
  const text = await registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`${name} not in:\n${text}`);
  return line.slice(name.length + 1);
};

describe('scrapedGauge / scrapedCounter', () => {
  it('a scraped gauge reads its value at each scrape', async () => {
    const registry = createMetricsRegistry({ name: 't', defaultMetrics: false });
    let open = 3;
    scrapedGauge(registry, 't_open', 'Open things', () => open);
    expect(await sample(registry, 't_open')).toBe('3');
    open = 1;
    expect(await sample(registry, 't_open')).toBe('1');
    expect(await registry.metrics()).toContain('# TYPE t_open gauge');
  });

  it('a scraped counter follows a growing total and never goes back', async () => {
    const registry = createMetricsRegistry({ name: 't', defaultMetrics: false });
    let total = 0;
    scrapedCounter(registry, 't_things_total', 'Things', () => total);
    expect(await sample(registry, 't_things_total')).toBe('0');
    total = 5;
    expect(await sample(registry, 't_things_total')).toBe('5');
    total = 12;
    expect(await sample(registry, 't_things_total')).toBe('12');
    // a total that shrinks (a reset elsewhere) leaves the counter where it was until it grows past it
    total = 4;
    expect(await sample(registry, 't_things_total')).toBe('12');
    total = 15;
    expect(await sample(registry, 't_things_total')).toBe('15');
    expect(await registry.metrics()).toContain('# TYPE t_things_total counter');
  });
});
