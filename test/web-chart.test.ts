import { describe, expect, it } from 'vitest';
import { bandCenter, labelIndexes, linear, linePath, niceAxis, niceStep, shortNumber, sum } from '../web/app/components/chart-scale.js';

// The dashboard chart's arithmetic (web/app/components/chart-scale.ts): axis ticks people can read,
// values mapped onto the SVG, x labels that do not overlap.

describe('chart scale', () => {
  it('picks steps of 1, 2, 2.5 or 5 times a power of ten', () => {
    expect([0.3, 1, 1.1, 3, 7, 12, 24, 26, 480].map(niceStep)).toEqual([0.5, 1, 2, 5, 10, 20, 25, 50, 500]);
    expect(niceStep(0)).toBe(1);
    expect(niceStep(Number.NaN)).toBe(1);
  });

  it('starts the y axis at zero and ends it at the first tick at or above the largest value', () => {
    expect(niceAxis([3, 17, 9])).toEqual({ min: 0, max: 20, ticks: [0, 5, 10, 15, 20] });
    expect(niceAxis([40])).toEqual({ min: 0, max: 40, ticks: [0, 10, 20, 30, 40] });
    expect(niceAxis([123, null, 980])).toMatchObject({ min: 0, max: 1000 });
    const small = niceAxis([0.1, 0.3]);
    expect(small.ticks).toEqual([0, 0.1, 0.2, 0.3]);
  });

  it('gives empty, all-null and all-zero data a 0..1 axis, not NaN', () => {
    for (const v of [[], [null, null], [0, 0, 0]]) expect(niceAxis(v)).toEqual({ min: 0, max: 1, ticks: [0, 1] });
  });

  it('maps values linearly, the y axis upside down as SVG draws it', () => {
    const y = linear(0, 20, 180, 10);
    expect(y(0)).toBe(180);
    expect(y(20)).toBe(10);
    expect(y(10)).toBe(95);
    expect(linear(5, 5, 100, 0)(5)).toBe(100);
  });

  it('centres points in their bands', () => {
    expect(bandCenter(0, 1, 0, 100)).toBe(50);
    expect([0, 1, 2, 3].map((i) => bandCenter(i, 4, 40, 440))).toEqual([90, 190, 290, 390]);
  });

  it('prints at most the labels that fit, always the first and last, never two neighbours', () => {
    expect(labelIndexes(5, 10)).toEqual([0, 1, 2, 3, 4]);
    expect(labelIndexes(10, 4)).toEqual([0, 3, 6, 9]);
    expect(labelIndexes(11, 4)).toEqual([0, 4, 10]);
    expect(labelIndexes(0, 4)).toEqual([]);
    const many = labelIndexes(90, 6);
    expect(many.length).toBeLessThanOrEqual(6);
    expect(many[0]).toBe(0);
    expect(many.at(-1)).toBe(89);
  });

  it('writes axis numbers short', () => {
    expect([0, 7, 0.25, 1200, 15_000, 3_500_000, 2e9].map(shortNumber)).toEqual(['0', '7', '0.25', '1200', '15k', '3.5M', '2B']);
  });

  it('breaks a line where there is no data and sums around nulls', () => {
    expect(linePath([[0, 10], [5, 20], null, [15, 5]])).toBe('M0.0,10.0L5.0,20.0M15.0,5.0');
    expect(sum([1, null, 2])).toBe(3);
  });
});
