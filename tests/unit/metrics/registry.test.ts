import { describe, expect, it } from 'vitest';
import {
  CHOICE_METRIC_IDS,
  computeChoiceMetrics,
  computeItemMetrics,
  GENERATION_METRIC_IDS,
  getMetric,
  isMetricId,
  METRICS,
  MetricError,
} from '../../../src/lib/metrics/index.ts';

describe('METRICS registry', () => {
  it('has unique ids that match the computed keys of each family', () => {
    const ids = METRICS.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    const item = computeItemMetrics({
      target: '7',
      targetTokenIds: [22],
      targetLogprobs: [-0.1],
      targetIsArgmax: [true],
      outputText: '7',
      outputTokenIds: [22],
    });
    const choice = computeChoiceMetrics({ choices: [' a', ' b'], choiceLogprobs: [-1, -2], answerIndex: 0 });
    expect(Object.keys(item).sort()).toEqual([...GENERATION_METRIC_IDS].sort());
    expect(Object.keys(choice).sort()).toEqual([...CHOICE_METRIC_IDS].sort());
    expect(METRICS.filter((m) => m.family === 'generation').map((m) => m.id).sort()).toEqual([...GENERATION_METRIC_IDS].sort());
    expect(METRICS.filter((m) => m.family === 'choice').map((m) => m.id).sort()).toEqual([...CHOICE_METRIC_IDS].sort());
  });
  it('marks the 0/1 grades as discontinuous (Schaeffer et al. 2023) and the rest continuous', () => {
    const discontinuous = METRICS.filter((m) => m.kind === 'discontinuous').map((m) => m.id).sort();
    expect(discontinuous).toEqual(['exact_match', 'greedy_consistency', 'mc_grade', 'mc_grade_norm']);
  });
  it('knows which direction is better', () => {
    const lower = METRICS.filter((m) => !m.higherIsBetter).map((m) => m.id).sort();
    expect(lower).toEqual(['brier_score', 'char_edit_distance', 'token_edit_distance']);
  });
  it('has consistent range hints', () => {
    for (const m of METRICS) {
      if (m.range.min !== null && m.range.max !== null) expect(m.range.min).toBeLessThan(m.range.max);
      expect(m.label.length).toBeGreaterThan(0);
      expect(m.description.length).toBeGreaterThan(0);
    }
  });
  it('looks metrics up by id', () => {
    expect(getMetric('brier_score').range).toEqual({ min: 0, max: 2 });
    expect(isMetricId('exact_match')).toBe(true);
    expect(isMetricId('accuracy')).toBe(false);
    expect(() => getMetric('accuracy')).toThrow(MetricError);
  });
});
