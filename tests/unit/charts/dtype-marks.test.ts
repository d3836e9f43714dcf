import { describe, expect, it } from 'vitest';
import { dtypeConfound } from '../../../src/lib/charts/dtype-confound.ts';
import { toPlotDatasets } from '../../../src/lib/charts/plot.ts';
import { metricPanel, variantsOf } from '../../../src/lib/charts/series.ts';
import { ladderResult } from './fixtures.ts';

describe('rungs whose dtype differs are marked on the chart', () => {
  it('crosses exactly the marked models’ points and leaves the others as they were', () => {
    const result = ladderResult();
    const models = result.models.map((m, i) => ({ ...m, dtype: i === 1 ? 'q8' : 'fp32' }));
    const confound = dtypeConfound(models.map((m) => ({ id: m.id, dtype: m.dtype })));
    expect(confound.marked).toEqual([models[1].id]);
    expect(confound.legend).toMatch(/q8/);
    const panel = metricPanel(models, variantsOf(result), 'exact_match', result.emergence_measures ?? {});
    const plain = toPlotDatasets(panel, 'light');
    const marked = toPlotDatasets(panel, 'light', new Set(confound.marked));
    for (const [k, ds] of marked.entries()) {
      const styles = ds.pointStyle as string[];
      expect(Array.isArray(styles)).toBe(true);
      ds.data.forEach((p, j) => {
        if (p.modelId === models[1].id) expect(styles[j]).toBe('crossRot');
        else expect(styles[j]).toBe(plain[k].pointStyle);
      });
    }
    // No confound: one style per series, as before.
    expect(typeof toPlotDatasets(panel, 'light', new Set())[0].pointStyle).toBe('string');
  });
});
