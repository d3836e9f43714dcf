import { describe, expect, it } from 'vitest';
import {
  countModels,
  historyStatus,
  IDLE,
  isActive,
  isResumable,
  LifecycleError,
  storedStatus,
  transition,
  type LifecycleEvent,
  type RunLifecycle,
  type RunPhase,
} from '../../../src/lib/run/lifecycle.ts';

function run(events: LifecycleEvent[], from: RunLifecycle = IDLE): RunLifecycle {
  return events.reduce(transition, from);
}

const ALL_EVENTS: LifecycleEvent[] = [
  { type: 'prepare' },
  { type: 'declined' },
  { type: 'start' },
  { type: 'cancel' },
  { type: 'result', cancelled: false },
  { type: 'committed' },
  { type: 'fail', message: 'x' },
  { type: 'interrupt' },
];

describe('run lifecycle', () => {
  it('a complete run: preparing → running → finishing → done, with the stored status at each step', () => {
    const seen: [RunPhase, string | null][] = [];
    let s = IDLE;
    for (const e of [{ type: 'prepare' }, { type: 'start' }, { type: 'result', cancelled: false }, { type: 'committed' }] as LifecycleEvent[]) {
      s = transition(s, e);
      seen.push([s.phase, storedStatus(s)]);
    }
    expect(seen).toEqual([
      ['preparing', null],
      ['running', 'running'],
      ['finishing', 'running'],
      ['done', 'done'],
    ]);
    expect(isActive(s)).toBe(false);
  });

  it('a Cancel that came after the last batch ends "done": every model finished, nothing is missing', () => {
    const s = run([{ type: 'prepare' }, { type: 'start' }, { type: 'cancel' }, { type: 'cancel' }, { type: 'result', cancelled: false }, { type: 'cancel' }, { type: 'committed' }]);
    expect(s).toMatchObject({ phase: 'done', cancelRequested: true });
    expect(storedStatus(s)).toBe('done');
  });

  it('a result with cancelled models ends cancelled; "done" only after the commit', () => {
    const finishing = run([{ type: 'prepare' }, { type: 'start' }, { type: 'result', cancelled: true }]);
    expect(finishing.phase).toBe('finishing');
    expect(isActive(finishing)).toBe(true);
    expect(transition(finishing, { type: 'committed' }).phase).toBe('cancelled');
  });

  it('declined preparation goes back to idle; failures keep their message', () => {
    expect(run([{ type: 'prepare' }, { type: 'declined' }])).toEqual(IDLE);
    const failed = run([{ type: 'prepare' }, { type: 'start' }, { type: 'fail', message: 'worker crashed while scoring m' }]);
    expect(failed).toMatchObject({ phase: 'failed', error: 'worker crashed while scoring m' });
    // A new run starts clean from any terminal state.
    expect(transition(failed, { type: 'prepare' })).toEqual({ phase: 'preparing', cancelRequested: false, outcome: null, error: null });
  });

  it('refuses every transition the diagram does not have, with a typed error', () => {
    const reachable: RunLifecycle[] = [
      IDLE,
      run([{ type: 'prepare' }]),
      run([{ type: 'prepare' }, { type: 'start' }]),
      run([{ type: 'prepare' }, { type: 'start' }, { type: 'result', cancelled: false }]),
      run([{ type: 'prepare' }, { type: 'start' }, { type: 'result', cancelled: false }, { type: 'committed' }]),
      run([{ type: 'prepare' }, { type: 'start' }, { type: 'interrupt' }]),
    ];
    const allowed: Record<RunPhase, string[]> = {
      idle: ['prepare'],
      preparing: ['declined', 'start', 'fail'],
      running: ['cancel', 'result', 'fail', 'interrupt'],
      finishing: ['cancel', 'committed', 'fail', 'interrupt'],
      done: ['prepare'],
      cancelled: ['prepare'],
      failed: ['prepare'],
      interrupted: ['prepare'],
    };
    let refused = 0;
    for (const s of reachable) {
      for (const e of ALL_EVENTS) {
        if (allowed[s.phase].includes(e.type)) expect(() => transition(s, e)).not.toThrow();
        else {
          expect(() => transition(s, e), `${s.phase} on ${e.type}`).toThrow(LifecycleError);
          refused++;
        }
      }
    }
    expect(refused).toBeGreaterThan(20);
  });

  it('the history says "running" only while a page writes the record; stopped runs can be resumed', () => {
    expect(historyStatus('running', true)).toBe('running');
    expect(historyStatus('running', false)).toBe('interrupted');
    expect(historyStatus('cancelled', false)).toBe('cancelled');
    expect(['done', 'running', 'cancelled', 'failed', 'interrupted'].filter((s) => isResumable(s as never))).toEqual(['cancelled', 'failed', 'interrupted']);
  });

  it('counts models in the singular and plural', () => {
    expect([countModels(0), countModels(1), countModels(2)]).toEqual(['0 models', '1 model', '2 models']);
  });
});
