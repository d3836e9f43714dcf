import { describe, expect, it } from 'vitest';
import { availableXAxes, formatScale, publishedTrainTokens, xAxisValue } from '../../../src/lib/metrics/xaxis.ts';

describe('x-axis helpers', () => {
  const bundled = { params: 27_000, nonEmbeddingParams: 20_000, trainTokens: 5e6, trainTokensSource: 'ladder manifest' };
  it('parameters, non-embedding parameters and 6·N·D compute', () => {
    expect(xAxisValue('params', bundled)).toEqual({ value: 27_000, label: '27K', source: 'model catalog' });
    expect(xAxisValue('non_embedding_params', bundled)?.value).toBe(20_000);
    const c = xAxisValue('train_compute', bundled);
    expect(c?.value).toBe(6 * 27_000 * 5e6);
    expect(c?.label).toBe('8.1e11 FLOPs');
    expect(c?.source).toMatch(/ladder manifest/);
  });
  it('unknown values are null and hide the axis', () => {
    expect(xAxisValue('train_compute', { params: 124e6 })).toBeNull();
    expect(xAxisValue('non_embedding_params', { params: 124e6, nonEmbeddingParams: null })).toBeNull();
    expect(xAxisValue('params', { params: null })).toBeNull();
    expect(availableXAxes([bundled, { params: 1e6, nonEmbeddingParams: 5e5 }])).toEqual(['params', 'non_embedding_params']);
    expect(availableXAxes([bundled])).toEqual(['params', 'non_embedding_params', 'train_compute']);
    expect(availableXAxes([])).toEqual([]);
  });
  it('published token counts carry their source; GPT-2 has none', () => {
    expect(publishedTrainTokens('Xenova/pythia-70m')?.tokens).toBe(299_892_736_000);
    expect(publishedTrainTokens('Xenova/gpt2')).toBeNull();
  });
  it('formats counts', () => {
    expect(formatScale(1_400_000, 'parameters')).toBe('1.4M');
    expect(formatScale(410e6, 'parameters')).toBe('410M');
    expect(formatScale(950, 'parameters')).toBe('950');
  });
});
