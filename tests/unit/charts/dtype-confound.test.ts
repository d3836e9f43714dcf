import { describe, expect, it } from 'vitest';
import { dtypeConfound } from '../../../src/lib/charts/dtype-confound.ts';

describe('dtypeConfound', () => {
  it('marks nothing and has no legend when every rung shares one dtype (or there are none)', () => {
    expect(dtypeConfound([{ id: 'a', dtype: 'q4' }, { id: 'b', dtype: 'q4' }])).toEqual({ baseline: 'q4', marked: [], differs: { a: false, b: false }, legend: null });
    expect(dtypeConfound([])).toEqual({ baseline: null, marked: [], differs: {}, legend: null });
  });

  it('marks the rungs that differ from the dtype most rungs use, and the legend names both', () => {
    const c = dtypeConfound([
      { id: '14m', dtype: 'q4' },
      { id: '70m', dtype: 'q8' },
      { id: '160m', dtype: 'q4' },
      { id: '410m', dtype: 'fp32' },
    ]);
    expect(c.baseline).toBe('q4');
    expect(c.marked).toEqual(['70m', '410m']);
    expect(c.differs).toEqual({ '14m': false, '70m': true, '160m': false, '410m': true });
    expect(c.legend).toMatch(/^Marked rungs ran in q8, fp32, the others in q4: .*confound/);
  });

  it('breaks a tie in favour of the smaller rungs\' dtype', () => {
    const c = dtypeConfound([
      { id: 'small', dtype: 'fp32' },
      { id: 'large', dtype: 'fp16' },
    ]);
    expect(c.baseline).toBe('fp32');
    expect(c.marked).toEqual(['large']);
  });
});
